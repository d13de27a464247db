"""A boto3 user's script, driven by the e2e tests: one operation per run.

usage: boto3_client.py OP ARGS...  (endpoint and credentials from the environment:
PRISMD_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)

  mb BUCKET | rb BUCKET | put FILE BUCKET KEY | get BUCKET KEY FILE
  ls BUCKET              print every key, recursively (paginated, 7 per page)
  sync-up DIR BUCKET PREFIX      upload new or changed files, delete the rest
  sync-down BUCKET PREFIX DIR    download new or changed objects, delete the rest
  presign BUCKET KEY     print a presigned GET URL
  rm-all BUCKET          delete every object with DeleteObjects
"""
import hashlib
import os
import sys

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["PRISMD_ENDPOINT"],
    region_name="us-east-1",
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
)
# Multipart from 8 MiB on, 8 MiB parts: a 50 MiB file goes up in 7 parts.
transfer = TransferConfig(multipart_threshold=8 << 20, multipart_chunksize=8 << 20)


def keys(bucket, prefix=""):
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": 7}):
        for o in page.get("Contents", []):
            out[o["Key"]] = o
    return out


def md5(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def local_files(root):
    out = {}
    for d, _, files in os.walk(root):
        for name in files:
            path = os.path.join(d, name)
            out[os.path.relpath(path, root).replace(os.sep, "/")] = path
    return out


def main(op, *args):
    if op == "mb":
        s3.create_bucket(Bucket=args[0])
    elif op == "rb":
        s3.delete_bucket(Bucket=args[0])
    elif op == "put":
        s3.upload_file(args[0], args[1], args[2], Config=transfer)
    elif op == "get":
        s3.download_file(args[0], args[1], args[2], Config=transfer)
    elif op == "ls":
        for k, o in sorted(keys(args[0]).items()):
            print(o["Size"], k)
    elif op == "sync-up":
        root, bucket, prefix = args
        remote = keys(bucket, prefix)
        local = local_files(root)
        for rel, path in local.items():
            o = remote.get(prefix + rel)
            if o is None or o["Size"] != os.path.getsize(path) or o["ETag"].strip('"') != md5(path):
                s3.upload_file(path, bucket, prefix + rel, Config=transfer)
        gone = [{"Key": k} for k in remote if k[len(prefix):] not in local]
        if gone:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": gone, "Quiet": True})
    elif op == "sync-down":
        bucket, prefix, root = args
        remote = keys(bucket, prefix)
        local = local_files(root) if os.path.isdir(root) else {}
        for k, o in remote.items():
            rel = k[len(prefix):]
            path = os.path.join(root, *rel.split("/"))
            if rel in local and os.path.getsize(path) == o["Size"] and md5(path) == o["ETag"].strip('"'):
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            s3.download_file(bucket, k, path, Config=transfer)
        for rel, path in local.items():
            if prefix + rel not in remote:
                os.remove(path)
    elif op == "presign":
        print(s3.generate_presigned_url("get_object", Params={"Bucket": args[0], "Key": args[1]}, ExpiresIn=300))
    elif op == "rm-all":
        objs = [{"Key": k} for k in keys(args[0])]
        for i in range(0, len(objs), 1000):
            r = s3.delete_objects(Bucket=args[0], Delete={"Objects": objs[i : i + 1000]})
            if r.get("Errors"):
                sys.exit("delete_objects errors: %r" % r["Errors"])
            if len(r.get("Deleted", [])) != len(objs[i : i + 1000]):
                sys.exit("delete_objects: %d of %d deleted" % (len(r.get("Deleted", [])), len(objs[i : i + 1000])))
    else:
        sys.exit("unknown op " + op)


if __name__ == "__main__":
    main(*sys.argv[1:])
