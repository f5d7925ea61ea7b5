"""paho-mqtt (MQTT 5) against midge: shared subscriptions and request/response.

Prints one JSON line with what it observed; the TypeScript test checks it.
Usage: python3 v5_shared_and_rr.py PORT
"""
import json
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

PORT = int(sys.argv[1])
HOST = "127.0.0.1"


def client(name):
    c = mqtt.Client(client_id=name, protocol=mqtt.MQTTv5)
    connected = threading.Event()
    c.on_connect = lambda *_: connected.set()
    c.connect(HOST, PORT, keepalive=30)
    c.loop_start()
    if not connected.wait(5):
        raise SystemExit("no CONNACK for " + name)
    return c


def subscribe(c, topic, qos=1):
    done = threading.Event()
    c.on_subscribe = lambda *_: done.set()
    c.subscribe(topic, qos)
    if not done.wait(5):
        raise SystemExit("no SUBACK for " + topic)


result = {"shared": {}, "reply": None, "correlation": None}
lock = threading.Lock()

members = []
for i in range(2):
    name = "paho-member-%d" % i
    c = client(name)
    result["shared"][name] = 0

    def on_message(_c, _u, msg, name=name):
        with lock:
            result["shared"][name] += 1

    c.on_message = on_message
    subscribe(c, "$share/paho/jobs")
    members.append(c)

pub = client("paho-pub")
for i in range(10):
    pub.publish("jobs", "job %d" % i, qos=1).wait_for_publish(5)

responder = client("paho-responder")


def respond(c, _u, msg):
    props = Properties(PacketTypes.PUBLISH)
    props.CorrelationData = msg.properties.CorrelationData
    c.publish(msg.properties.ResponseTopic, b"pong:" + msg.payload, qos=1, properties=props)


responder.on_message = respond
subscribe(responder, "svc/ping")

replied = threading.Event()


def on_reply(_c, _u, msg):
    result["reply"] = msg.payload.decode()
    result["correlation"] = msg.properties.CorrelationData.decode()
    replied.set()


pub.on_message = on_reply
subscribe(pub, "svc/replies/paho")
req = Properties(PacketTypes.PUBLISH)
req.ResponseTopic = "svc/replies/paho"
req.CorrelationData = b"corr-42"
pub.publish("svc/ping", b"ping", qos=1, properties=req)
replied.wait(5)

deadline = time.time() + 5
while time.time() < deadline and sum(result["shared"].values()) < 10:
    time.sleep(0.05)

for c in members + [pub, responder]:
    c.disconnect()
    c.loop_stop()
print(json.dumps(result))
