"""A subscriber that reads steadily (paho-mqtt, MQTT 3.1.1).

Usage: steady_sub.py PORT TOPIC QOS COUNT TIMEOUT_SECONDS
Prints "ready" once subscribed, then, when COUNT messages have arrived or the time is
up, one JSON line: how many arrived, and whether their 4-byte big-endian sequence
numbers were 0, 1, 2, ... in order.
"""
import json
import sys
import threading
import time

import paho.mqtt.client as mqtt

port, topic, qos, count, timeout = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
received = 0
in_order = True
subscribed = threading.Event()
done = threading.Event()


def on_connect(client, userdata, flags, rc, *args):
    client.subscribe(topic, qos)


def on_subscribe(client, userdata, mid, granted, *args):
    print("ready", flush=True)
    subscribed.set()


def on_message(client, userdata, message):
    global received, in_order
    seq = int.from_bytes(message.payload[:4], "big")
    if seq != received:
        in_order = False
    received += 1
    if received >= count:
        done.set()


try:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION1, client_id="", clean_session=True)
except AttributeError:
    client = mqtt.Client(client_id="", clean_session=True)
client.max_inflight_messages_set(20)
client.on_connect = on_connect
client.on_subscribe = on_subscribe
client.on_message = on_message
client.connect("127.0.0.1", port, keepalive=60)
client.loop_start()
subscribed.wait(10)
done.wait(timeout)
client.loop_stop()
client.disconnect()
print(json.dumps({"received": received, "inOrder": in_order}), flush=True)
