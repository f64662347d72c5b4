import sys, time, requests, os
url = sys.argv[1].replace("{page}", "1")
def t(fn, n=10):
    best = 1e18; bw = 1e18
    for _ in range(n):
        w = time.perf_counter_ns(); c = time.process_time_ns(); fn()
        best = min(best, time.process_time_ns() - c); bw = min(bw, time.perf_counter_ns() - w)
    return "cpu %.2f ms wall %.2f ms" % (best/1e6, bw/1e6)
r = requests.get(url)
print("get.content", t(lambda: requests.get(url).content))
print("text", t(lambda: r.__dict__.__setitem__('_content_consumed', True) or r.text))
print("encoding", r.encoding, len(r.content))
txt = r.text
def w():
    with open("/tmp/curve/out.html", "w", encoding="utf-8") as f: f.write(txt)
print("write", t(w))
def whole():
    r = requests.get(url); r.raise_for_status()
    with open("/tmp/curve/out.html", "w", encoding="utf-8") as f: f.write(r.text)
print("whole", t(whole))
