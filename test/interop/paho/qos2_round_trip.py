"""QoS 2 round trip through a broker with paho-mqtt 1.6 (MQTT 3.1.1).

Usage: qos2_round_trip.py PORT COUNT

A subscriber subscribes at QoS 2, a publisher sends COUNT QoS 2 messages and
waits for each to complete (PUBREC/PUBREL/PUBCOMP). Prints one JSON object:
the granted QoS, the publish results and what the subscriber received, in order.
Every wait is bounded so the script always ends.
"""
import json
import sys
import threading
import time

import paho.mqtt.client as mqtt

PORT = int(sys.argv[1])
COUNT = int(sys.argv[2])
TOPIC = "interop/paho/qos2"
DEADLINE = time.monotonic() + 15


def left():
    return max(0.0, DEADLINE - time.monotonic())


def connected_client(client_id):
    ready = threading.Event()
    client = mqtt.Client(client_id=client_id, clean_session=True, protocol=mqtt.MQTTv311)
    client.on_connect = lambda c, u, f, rc: ready.set() if rc == 0 else None
    client.connect("127.0.0.1", PORT, keepalive=30)
    client.loop_start()
    if not ready.wait(left()):
        raise SystemExit("no CONNACK for " + client_id)
    return client


received = []
all_in = threading.Event()
granted = []
subscribed = threading.Event()


def on_message(_client, _userdata, message):
    received.append({"payload": message.payload.decode(), "qos": message.qos, "retain": bool(message.retain)})
    if len(received) >= COUNT:
        all_in.set()


def on_subscribe(_client, _userdata, _mid, granted_qos):
    granted.extend(granted_qos)
    subscribed.set()


sub = connected_client("paho-qos2-sub")
sub.on_message = on_message
sub.on_subscribe = on_subscribe
sub.subscribe(TOPIC, qos=2)
if not subscribed.wait(left()):
    raise SystemExit("no SUBACK")

pub = connected_client("paho-qos2-pub")
results = []
for i in range(COUNT):
    info = pub.publish(TOPIC, payload="message %d" % i, qos=2)
    info.wait_for_publish(left())
    results.append({"rc": info.rc, "published": info.is_published()})

all_in.wait(left())
for client in (pub, sub):
    client.disconnect()
    client.loop_stop()

print(json.dumps({"granted": granted, "results": results, "received": received}))
