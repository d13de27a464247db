package bench

import "testing"

func TestBannerWriter(t *testing.T) {
	b := newBannerWriter("S3 endpoint:", "admin:")
	for _, chunk := range []string{"prismd dev\nS3 endpoint:  http://127.0", ".0.1:8443  (region us-east-1)\nadmin:  ", "      http://127.0.0.1:9090  (/health)", "\nmore\n"} {
		select {
		case <-b.found:
			t.Fatalf("found before %q", chunk)
		default:
		}
		b.Write([]byte(chunk))
	}
	select {
	case <-b.found:
	default:
		t.Fatal("not found")
	}
	if s3, admin := b.value("S3 endpoint:"), b.value("admin:"); s3 != "http://127.0.0.1:8443" || admin != "http://127.0.0.1:9090" {
		t.Errorf("S3 %q admin %q", s3, admin)
	}
	r := newBannerWriter("relay:")
	r.Write([]byte("relay: http://127.0.0.1:4000 -> http://127.0.0.1:9001\n"))
	if v := r.value("relay:"); v != "http://127.0.0.1:4000" {
		t.Errorf("relay %q", v)
	}
}
