"""A paho-mqtt 1.6 (MQTT 3.1.1) publisher with a persistent session, for the cluster tests.

Usage: qos2_resend.py PORT CLIENT_ID TOPIC PAYLOAD

Connects (Clean Session 0) and prints "connected". On a line "publish" on stdin it
publishes PAYLOAD once at QoS 2 and lets paho do what it does when the connection
drops: reconnect, and send the unfinished PUBLISH again with DUP set. Prints one JSON
object: whether the QoS 2 flow completed (PUBCOMP) and how many CONNACKs accepted it.
Every wait is bounded so the script always ends.
"""
import json
import sys
import threading
import time

import paho.mqtt.client as mqtt

PORT = int(sys.argv[1])
CLIENT_ID, TOPIC, PAYLOAD = sys.argv[2], sys.argv[3], sys.argv[4]
DEADLINE = time.monotonic() + 45

connected = threading.Event()
accepted = []


def on_connect(_client, _userdata, _flags, rc):
    if rc == 0:
        accepted.append(rc)
        connected.set()


client = mqtt.Client(client_id=CLIENT_ID, clean_session=False, protocol=mqtt.MQTTv311)
client.on_connect = on_connect
client.reconnect_delay_set(min_delay=1, max_delay=1)
client.connect("127.0.0.1", PORT, keepalive=30)
client.loop_start()
if not connected.wait(10):
    raise SystemExit("no CONNACK")
print("connected", flush=True)

if sys.stdin.readline().strip() != "publish":
    raise SystemExit("expected 'publish' on stdin")
info = client.publish(TOPIC, PAYLOAD, qos=2)
while not info.is_published() and time.monotonic() < DEADLINE:
    time.sleep(0.05)
print(json.dumps({"completed": info.is_published(), "connacks": len(accepted)}), flush=True)
client.disconnect()
client.loop_stop()
