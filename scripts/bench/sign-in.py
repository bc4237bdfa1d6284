#!/usr/bin/env python3
"""Signs in to Severn (password, then the authenticator code) and prints the session cookie's value.

    sign-in.py BASE_URL USERNAME PASSWORD TOTP_SECRET_BASE32
"""
import base64, hashlib, hmac, http.cookiejar, re, struct, sys, time, urllib.parse, urllib.request

base, username, password, secret = sys.argv[1:5]
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def page(path, form=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    with opener.open(base + path, data) as response:
        return response.geturl(), response.read().decode()


def csrf(html):
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def totp(secret_b32, at):
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (number % 1_000_000)


_, html = page("/sign-in")
url, html = page("/sign-in", {"username": username, "password": password, "csrf": csrf(html)})
if not url.endswith("/sign-in/code"):
    sys.exit(f"expected the code step after the password, got {url}")
url, html = page("/sign-in/code", {"code": totp(secret, time.time()), "csrf": csrf(html)})
session = [c.value for c in jar if c.name == "severn_session"]
if not session or "/sign-in" in url:
    sys.exit(f"sign-in did not finish: ended at {url}")
print(session[0])
