"""A stand-in for a ZLMediaKit server that answers its HTTP API as its documentation and source say
(server/WebApi.cpp): HTTP 200 with a JSON `code` (0, -1, -100, -300, -500), no `data` key for an empty list,
one getMediaList item per protocol, getSnap answering with the JPEG or, on failure, its default PNG logo.
It keeps which proxies exist so that the adapter's calls have consequences; `fail_urls` never play."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

SECRET = "035c73f7-bb6b-4889-a715-d9eb2d1925cc"
PNG_LOGO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
REQUIRED = {
    "addStreamProxy": ("vhost", "app", "stream", "url"),
    "delStreamProxy": ("key",),
    "isMediaOnline": ("schema", "vhost", "app", "stream"),
    "getSnap": ("url", "timeout_sec", "expire_sec"),
}


def _track(width=1280, height=720, fps=25.0):
    return {"codec_id": 0, "codec_id_name": "H264", "codec_type": 0, "ready": True, "frames": 500, "duration": 20000,
            "width": width, "height": height, "fps": fps, "key_frames": 10, "gop_size": 50, "gop_interval_ms": 2000}


class FakeZlm:
    def __init__(self, jpeg: bytes) -> None:
        self.jpeg = jpeg
        self.proxies: dict[str, dict] = {}  # vhost/app/stream -> args
        self.fail_urls: set[str] = set()
        self.readers: dict[str, int] = {}  # stream name -> players watching it (totalReaderCount)
        self.calls: list[tuple[str, dict]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the API ------------------------------------------------------------------------------------------------

    def answer(self, name: str, args: dict) -> tuple[str, bytes]:
        self.calls.append((name, args))
        if args.get("secret") != SECRET:
            return _json({"code": -100, "cookie": "0123abcd", "msg": "Please login first"})
        missing = [key for key in REQUIRED.get(name, ()) if not args.get(key)]
        if missing:
            quoted = ",".join(f'"{key}"' for key in REQUIRED[name])
            return _json({"code": -300, "msg": f"Required parameter missed: {quoted}"})
        key = "/".join((args.get("vhost", ""), args.get("app", ""), args.get("stream", "")))
        if name == "addStreamProxy":
            if key in self.proxies:
                return _json({"code": -1, "msg": "This stream already exists"})
            if args["url"] in self.fail_urls:
                return _json({"code": -1, "msg": "play rtsp timeout"})
            self.proxies[key] = args
            return _json({"code": 0, "data": {"key": key}})
        if name == "delStreamProxy":
            return _json({"code": 0, "data": {"flag": self.proxies.pop(args["key"], None) is not None}})
        if name == "getMediaList":
            items = [_item(k, schema, self.proxies[k]["url"], self.readers.get(k.split("/")[2], 0))
                     for k in self.proxies for schema in ("rtsp", "rtmp", "hls") if _matches(k, schema, args)]
            return _json({"code": 0, "data": items} if items else {"code": 0})
        if name == "isMediaOnline":
            return _json({"code": 0, "online": key in self.proxies})
        if name == "close_streams":
            hits = [k for k in self.proxies if _matches(k, args.get("schema", ""), args)]
            for k in hits:
                if args.get("force") in ("1", "true"):
                    self.proxies.pop(k)
            return _json({"code": 0, "count_hit": len(hits) * 3, "count_closed": len(hits) * 3})
        if name == "getSnap":
            if args["url"] in self.fail_urls:
                return "image/png", PNG_LOGO
            return "image/jpeg", self.jpeg
        return "text/html", b"<html>404</html>"

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                args = dict(parse_qsl(self.rfile.read(length).decode()))
                args.update(dict(parse_qsl(urlsplit(self.path).query)))  # the query overrides the body
                name = urlsplit(self.path).path.rsplit("/", 1)[-1]
                content_type, body = fake.answer(name, args)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

        return Handler


def _json(payload: dict) -> tuple[str, bytes]:
    return "application/json; charset=utf-8", json.dumps(payload, sort_keys=True).encode()


def _matches(key: str, schema: str, args: dict) -> bool:
    vhost, app, stream = key.split("/")
    return all(not args.get(field) or args[field] == value
               for field, value in (("vhost", vhost), ("app", app), ("stream", stream))) and \
        (not args.get("schema") or args["schema"] == schema)


def _item(key: str, schema: str, url: str, readers: int) -> dict:
    vhost, app, stream = key.split("/")
    return {"schema": schema, "vhost": vhost, "app": app, "stream": stream, "params": "", "createStamp": 1755750000,
            "aliveSecond": 12, "bytesSpeed": 250000, "totalBytes": 3000000, "readerCount": 0, "totalReaderCount": readers,
            "originType": 4, "originTypeStr": "pull", "originUrl": url, "isRecordingMP4": False,
            "isRecordingHLS": False, "originSock": None,
            "tracks": [_track(), {"codec_id": 2, "codec_id_name": "mpeg4-generic", "codec_type": 1, "ready": True,
                                  "frames": 900, "duration": 20000, "sample_rate": 44100, "channels": 1,
                                  "sample_bit": 16}]}
