import sys, time, requests
small = sys.argv[1].replace("{page}", "1"); big = sys.argv[2].replace("{page}", "1")
def per_call(fn, n):
    for _ in range(5): fn()
    t = time.process_time_ns()
    for _ in range(n): fn()
    return (time.process_time_ns() - t) / n / 1e3
print("before: requests.get %.0f us" % per_call(lambda: requests.get(small).content, 100))
s = requests.Session()
for _ in range(12): s.get(big).content
s.close()
print("after 8 MiB bodies: requests.get %.0f us" % per_call(lambda: requests.get(small).content, 100))
print("again: %.0f us" % per_call(lambda: requests.get(small).content, 100))
