#!/usr/bin/env python3
"""Runs HTTP/1.x test cases through two independent parsers, httptools (llhttp) and h11, and
prints what each made of them, for netlab's differential test (Tests/InspectTests/
HTTPDifferentialTests.swift). One process for all cases.

Input (stdin), one JSON object a line: {"id": str, "kind": "request"|"response", "raw_b64": str}.
Output (stdout), one line per case: {"id": str, "llhttp": RESULT, "h11": RESULT}, where RESULT is
{"verdict": "accept"|"reject"|"incomplete", "error": str, "upgrade": bool, "messages": [MESSAGE]}
and MESSAGE is {"method", "target", "status", "reason", "version", "headers": [[name, value]],
"body_b64", "trailers": [[name, value]], "complete": bool} (text as latin-1, so bytes survive).
Responses answer GET requests; the stream ends after the bytes (h11 is told; httptools has no
call for it).
"""
import base64
import json
import sys

import h11
import httptools


def text(value):
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return str(value)


class Collector:
    def __init__(self, parser_ref):
        self.parser = parser_ref
        self.messages = []
        self.begun = 0
        self.in_head = False
        self.name = b""
        self.url = b""
        self.status = b""

    def on_message_begin(self):
        self.begun += 1
        self.in_head = True
        self.url = b""
        self.status = b""
        self.messages.append({"headers": [], "trailers": [], "body": b"", "complete": False})

    def on_url(self, url):
        self.url += url

    def on_status(self, status):
        self.status += status

    def on_header(self, name, value):
        key = "headers" if self.in_head else "trailers"
        self.messages[-1][key].append([text(name), text(value).strip(" \t")])

    def on_headers_complete(self):
        self.in_head = False
        message = self.messages[-1]
        message["version"] = self.parser[0].get_http_version()
        if isinstance(self.parser[0], httptools.HttpRequestParser):
            message["method"] = text(self.parser[0].get_method())
            message["target"] = text(self.url)
        else:
            message["status"] = self.parser[0].get_status_code()
            message["reason"] = text(self.status)

    def on_body(self, body):
        self.messages[-1]["body"] += body

    def on_message_complete(self):
        self.messages[-1]["complete"] = True


def run_llhttp(kind, data):
    holder = [None]
    collector = Collector(holder)
    parser = (httptools.HttpRequestParser if kind == "request" else httptools.HttpResponseParser)(collector)
    holder[0] = parser
    result = {"verdict": "accept", "error": "", "upgrade": False}
    try:
        parser.feed_data(data)
    except httptools.HttpParserUpgrade:
        result["upgrade"] = True
    except httptools.HttpParserError as error:
        if "Pause on CONNECT/Upgrade" in str(error):
            result["upgrade"] = True  # a response parser reports 101 this way
        else:
            result["verdict"] = "reject"
            result["error"] = str(error)
    if result["verdict"] == "accept" and any(not m["complete"] for m in collector.messages):
        result["verdict"] = "incomplete"
    result["messages"] = collector.messages
    return result


def h11_request(kind):
    return h11.Request(method="GET", target="/", headers=[("Host", "x")])


def run_h11(kind, data):
    role = h11.SERVER if kind == "request" else h11.CLIENT
    conn = h11.Connection(role)
    if kind == "response":
        conn.send(h11_request(kind))
        conn.send(h11.EndOfMessage())
    messages = []
    result = {"verdict": "accept", "error": "", "upgrade": False}
    try:
        conn.receive_data(data)
        ended = False
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                if kind == "response" and not ended and conn.their_state is h11.SEND_BODY:
                    conn.receive_data(b"")  # the stream ends here: a close-delimited body ends too
                    ended = True
                    continue
                if conn.their_state not in (h11.IDLE, h11.DONE, h11.MUST_CLOSE, h11.CLOSED) or conn.trailing_data[0]:
                    result["verdict"] = "incomplete"
                break
            if event is h11.PAUSED:
                if conn.their_state is h11.MIGHT_SWITCH_PROTOCOL or conn.their_state is h11.SWITCHED_PROTOCOL:
                    result["upgrade"] = True
                break
            if isinstance(event, h11.ConnectionClosed):
                break
            if isinstance(event, (h11.Request, h11.Response, h11.InformationalResponse)):
                message = {
                    "headers": [[text(n), text(v)] for n, v in event.headers.raw_items()],
                    "trailers": [],
                    "body": b"",
                    "complete": isinstance(event, h11.InformationalResponse),
                    "version": text(event.http_version),
                }
                if isinstance(event, h11.Request):
                    message["method"] = text(event.method)
                    message["target"] = text(event.target)
                else:
                    message["status"] = event.status_code
                    message["reason"] = text(event.reason)
                messages.append(message)
            elif isinstance(event, h11.Data):
                messages[-1]["body"] += event.data
            elif isinstance(event, h11.EndOfMessage):
                messages[-1]["trailers"] = [[text(n), text(v)] for n, v in event.headers.raw_items()]
                messages[-1]["complete"] = True
                if conn.their_state is h11.MIGHT_SWITCH_PROTOCOL:
                    result["upgrade"] = True
                    break
                if kind == "request" and conn.our_state is h11.SEND_RESPONSE:
                    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
                    conn.send(h11.EndOfMessage())
                if conn.our_state is h11.DONE and conn.their_state is h11.DONE and conn.trailing_data[0]:
                    conn.start_next_cycle()
                    if kind == "response":
                        conn.send(h11_request(kind))
                        conn.send(h11.EndOfMessage())
    except h11.RemoteProtocolError as error:
        message = str(error)
        # The stream ended inside a message: h11 says so as an error, the others as "incomplete".
        cut = "peer unexpectedly closed" in message or "peer closed connection without" in message
        result["verdict"] = "incomplete" if cut else "reject"
        result["error"] = message
    except h11.LocalProtocolError as error:
        result["verdict"] = "reject"
        result["error"] = "local: " + str(error)
    result["messages"] = messages
    return result


def encode(result):
    for message in result["messages"]:
        message["body_b64"] = base64.b64encode(message.pop("body")).decode()
    return result


def main():
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        data = base64.b64decode(case["raw_b64"])
        record = {"id": case["id"]}
        for name, run in (("llhttp", run_llhttp), ("h11", run_h11)):
            try:
                record[name] = encode(run(case["kind"], data))
            except Exception as error:  # a crash of a reference is a result too, not a test failure
                record[name] = {"verdict": "reject", "error": "crash: %r" % error, "upgrade": False, "messages": []}
        out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
