"""Schemathesis hooks for pingme's schema fuzzing (.ci/schema-checks).

Every generated request carries the access token of the seeded account. Fuzzing may well
delete that account (DELETE /api/account/delete_me/ takes no body): its token is then
refused with 401, which makes schemathesis ask this provider again, and an account is
created anew with the pingme CLI (under a new name) before logging in. Other 401s (a
refresh token the fuzzer made up, say) also make schemathesis ask: the token in hand is
kept when /api/account/me/ still takes it.

The fuzzer's own requests to POST /api/token/ use up the login rate limits of 127.0.0.1,
and a provider that waited for them would hold up every worker. So the server trusts
127.0.0.1 as a proxy (PINGME_TRUSTED_PROXIES), and this provider's logins say, through
X-Forwarded-For, that they come from a client address of their own.
"""

import json
import os
import subprocess
import urllib.error
import urllib.request

import schemathesis

BASE = os.environ["PINGME_FUZZ_URL"]
FIRST_USERNAME = os.environ["PINGME_FUZZ_USERNAME"]
PASSWORD = os.environ["PINGME_ADMIN_PASSWORD"]
PINGME = os.environ["PINGME_BIN"]


class Accounts:
    """The seeded account, then the ones created after each deletion."""

    def __init__(self):
        self.number = 1
        self.logins = 0
        self.token = None

    @property
    def username(self):
        return FIRST_USERNAME if self.number == 1 else f"{FIRST_USERNAME}-{self.number}"

    def log_in(self):
        """The account's access token, or None when it does not exist (any more)."""
        self.logins += 1
        body = json.dumps({"username": self.username, "password": PASSWORD}).encode()
        # A client address of its own: 10.0.0.0/8, a new one per login.
        address = f"10.{self.logins >> 16 & 255}.{self.logins >> 8 & 255}.{self.logins & 255}"
        request = urllib.request.Request(
            f"{BASE}/api/token/",
            data=body,
            headers={"Content-Type": "application/json", "X-Forwarded-For": address},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)["access"]
        except urllib.error.HTTPError as error:
            if error.code == 401:
                return None
            raise

    def still_valid(self):
        if self.token is None:
            return False
        request = urllib.request.Request(
            f"{BASE}/api/account/me/", headers={"Authorization": f"Bearer {self.token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30):
                return True
        except urllib.error.HTTPError as error:
            if error.code == 401:
                return False
            raise

    def create_next(self):
        self.number += 1
        subprocess.run(
            [PINGME, "admin", "create-user", "--username", self.username,
             "--email", f"{self.username}@example.com", "--verified", "--staff"],
            check=True,
            stdout=subprocess.DEVNULL,
        )


ACCOUNTS = Accounts()


@schemathesis.auth()
class SeededAccount:
    def get(self, case, context):
        if ACCOUNTS.still_valid():
            return ACCOUNTS.token
        token = ACCOUNTS.log_in()
        if token is None:
            ACCOUNTS.create_next()
            token = ACCOUNTS.log_in()
        if token is None:
            raise RuntimeError(f"the new account {ACCOUNTS.username} cannot log in")
        ACCOUNTS.token = token
        return token

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
        # The chat socket's handshake takes its token in the query (browsers cannot send
        # headers with a WebSocket), so that one gets it there too.
        if case.operation.path == "/{server}/{channel}":
            case.query = {**(case.query or {}), "token": data}
