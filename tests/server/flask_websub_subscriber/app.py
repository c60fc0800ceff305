"""A WebSub subscriber made with Flask-WebSub (https://github.com/marten-de-vries/Flask-WebSub),
an implementation independent of syndic, for tests/server/test_hub_flask_websub.py.

Run it with a Python that has Flask-WebSub installed, never syndic's own venv (the package
ships a top-level `tests` package that would shadow ours):

    python app.py WORKDIR

It listens on 127.0.0.1 on a free port, writes that port to WORKDIR/port, and keeps its
subscriptions in WORKDIR/subscriber.db. The test drives and watches it over HTTP:

    GET  /subscribe?url=FEED   discover the hub and topic of FEED, then subscribe (Flask-WebSub
                               sends hub.secret only to an https hub)
    GET  /events               what happened, as JSON: "posted" (every POST to a callback,
                               before Flask-WebSub looks at it), "success" and "error"
                               (verification of intent), "notified" (a delivery whose
                               X-Hub-Signature Flask-WebSub found right: its listeners run
                               only then)
    GET  /unsubscribe?id=CALLBACK_ID
    GET  /health

The hub's certificate is trusted through REQUESTS_CA_BUNDLE."""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path

from flask import Flask, jsonify, request
from flask_websub.subscriber import (
    SQLite3SubscriberStorage,
    SQLite3TempSubscriberStorage,
    Subscriber,
    discover,
)
from werkzeug.serving import make_server


def build(workdir: Path) -> Flask:
    app = Flask(__name__)
    db = str(workdir / "subscriber.db")
    subscriber = Subscriber(SQLite3SubscriberStorage(db), SQLite3TempSubscriberStorage(db))
    app.register_blueprint(subscriber.build_blueprint(url_prefix="/callbacks"))
    lock = threading.Lock()
    events: list[dict[str, object]] = []

    def record(kind: str, **what: object) -> None:
        with lock:
            events.append({"kind": kind, **what})

    def on_success(topic_url: str, callback_id: str, mode: str) -> None:
        record("success", topic=topic_url, callback_id=callback_id, mode=mode)

    def on_error(topic_url: str, callback_id: str, reason: str) -> None:
        record("error", topic=topic_url, callback_id=callback_id, reason=reason)

    def on_notification(topic_url: str, callback_id: str, body: bytes) -> None:
        record("notified", topic=topic_url, callback_id=callback_id,
               body=body.decode("utf-8"))

    subscriber.add_success_handler(on_success)
    subscriber.add_error_handler(on_error)
    subscriber.add_listener(on_notification)

    @app.before_request
    def posted() -> None:
        if request.method == "POST" and request.path.startswith("/callbacks/"):
            record("posted", path=request.path,
                   signature=request.headers.get("X-Hub-Signature"),
                   content_type=request.headers.get("Content-Type"),
                   link=request.headers.get("Link"))

    @app.get("/subscribe")
    def subscribe() -> object:
        found = discover(request.args["url"])
        callback_id = subscriber.subscribe(**found)
        return jsonify({**found, "callback_id": callback_id})

    @app.get("/unsubscribe")
    def unsubscribe() -> object:
        subscriber.unsubscribe(request.args["id"])
        return jsonify({"callback_id": request.args["id"]})

    @app.get("/events")
    def listing() -> object:
        with lock:
            return jsonify(list(events))

    @app.get("/health")
    def health() -> object:
        return "ok\n"

    return app


def main() -> None:
    workdir = Path(sys.argv[1])
    logging.basicConfig(level=logging.INFO)
    server = make_server("127.0.0.1", 0, build(workdir), threaded=True)
    (workdir / "port.tmp").write_text(json.dumps(server.port))
    (workdir / "port.tmp").rename(workdir / "port")
    server.serve_forever()


if __name__ == "__main__":
    main()
