"""hang_server.py EVENTS CONTROL - an HTTP server on loopback that holds
its first request unanswered, for tests/sweep_kill.sh.

It binds 127.0.0.1 on a free port and writes the port as a line to the
EVENTS fifo; when the first connection is accepted it writes "accepted"
there (a client is now inside its fetch, waiting). It holds that
connection without a reply until a line comes on the CONTROL fifo; from
then on it answers every request with a small 200 page and one more
"served" line on EVENTS, until CONTROL closes. No timing is involved: the
test learns each state from a line, not by waiting.
"""
import socket
import sys
import threading

BODY = b"<html><body><h1>page</h1></body></html>\n"
REPLY = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
         + str(len(BODY)).encode() + b"\r\nConnection: close\r\n\r\n" + BODY)


def answer(conn, events, lock):
    with conn:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        conn.sendall(REPLY)
    with lock:
        events.write("served\n")
        events.flush()


def main():
    events_path, control_path = sys.argv[1], sys.argv[2]
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    events = open(events_path, "w")
    events.write("%d\n" % srv.getsockname()[1])
    events.flush()
    control = open(control_path)
    held, _ = srv.accept()
    events.write("accepted\n")
    events.flush()
    control.readline()  # the test says: answer from now on
    lock = threading.Lock()
    stop = threading.Event()

    def until_closed():
        control.read()  # EOF: the test is done
        stop.set()
        # close() does not wake a thread in accept(); a connection does.
        socket.create_connection(srv.getsockname()).close()

    threading.Thread(target=until_closed, daemon=True).start()
    while not stop.is_set():
        conn, _ = srv.accept()
        if stop.is_set():
            conn.close()
            break
        threading.Thread(target=answer, args=(conn, events, lock),
                         daemon=True).start()
    held.close()
    srv.close()


if __name__ == "__main__":
    main()
