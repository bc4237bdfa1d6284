#!/usr/bin/env python3
"""Requests N referral pages one after another on one connection and prints how many came back 200.

    count-pages.py HOST PORT SESSION_COOKIE N
"""
import http.client, os, random, sys

host, port, cookie, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
reports = int(os.environ.get("SEVERN_BENCH_REPORTS", "1000000"))
random.seed(11)
connection = http.client.HTTPConnection(host, port)
ok = 0
for _ in range(n):
    connection.request("GET", "/referrals/ncmec:%d" % (100000001 + random.randrange(reports)),
                       headers={"Cookie": "severn_session=" + cookie})
    response = connection.getresponse()
    response.read()
    ok += response.status == 200
print(ok)
