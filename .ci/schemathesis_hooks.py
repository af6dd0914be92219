"""Schemathesis hooks for pingme's schema fuzzing (.ci/schema-checks).

Every generated request carries the access token of the seeded account. Fuzzing may well
delete that account (DELETE /api/account/delete_me/ takes no body): its token is then
refused with 401, which makes schemathesis ask this provider again, and the account is
created anew with the pingme CLI before logging in.
"""

import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import schemathesis

BASE = os.environ["PINGME_FUZZ_URL"]
USERNAME = os.environ["PINGME_FUZZ_USERNAME"]
EMAIL = os.environ["PINGME_FUZZ_EMAIL"]
PASSWORD = os.environ["PINGME_ADMIN_PASSWORD"]
PINGME = os.environ["PINGME_BIN"]


def log_in():
    """The account's access token, or None when the account does not exist (any more)."""
    body = json.dumps({"username": USERNAME, "password": PASSWORD}).encode()
    request = urllib.request.Request(
        f"{BASE}/api/token/", data=body, headers={"Content-Type": "application/json"}
    )
    for _ in range(10):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)["access"]
        except urllib.error.HTTPError as error:
            if error.code == 401:
                return None
            if error.code != 429:
                raise
            # The fuzzer's own login attempts share the rate limit.
            time.sleep(int(error.headers.get("Retry-After", "1")))
    raise RuntimeError("could not log in: rate limited throughout")


def create_account():
    subprocess.run(
        [PINGME, "admin", "create-user", "--username", USERNAME, "--email", EMAIL,
         "--verified", "--staff"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


@schemathesis.auth()
class SeededAccount:
    def get(self, case, context):
        token = log_in()
        if token is None:
            create_account()
            token = log_in()
        if token is None:
            raise RuntimeError("the re-created account cannot log in")
        return token

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
