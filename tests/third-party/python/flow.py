"""The whole Authorization Code flow against okta-devserver over TLS, driven by widely used
Python libraries nobody in this project wrote: Authlib (OAuth 2.0 / OpenID Connect client on
requests, ID-token claim checks), joserfc (JWS and JWKS) and Okta's own okta-jwt-verifier,
which refuses an http issuer with no way to turn the check off.

Run by `cargo xtask third-party`, which starts the devserver and passes DEVSERVER_ISSUER,
DEVSERVER_CLIENT_ID, DEVSERVER_CLIENT_SECRET, DEVSERVER_REDIRECT_URI,
DEVSERVER_POST_LOGOUT_REDIRECT_URI, DEVSERVER_USERNAME, DEVSERVER_PASSWORD, DEVSERVER_AUDIENCE,
and SSL_CERT_FILE and REQUESTS_CA_BUNDLE (the devserver's local CA).

Prints one line per step; on failure "FAILED step <name>: <reason>" and exit code 1.
"""

import os
import secrets
import sys
import time
import traceback
import urllib.parse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet
from okta_jwt_verifier import AccessTokenVerifier, IDTokenVerifier


def env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set")
    return value


ISSUER = env("DEVSERVER_ISSUER")
CLIENT_ID = env("DEVSERVER_CLIENT_ID")
CLIENT_SECRET = env("DEVSERVER_CLIENT_SECRET")
REDIRECT_URI = env("DEVSERVER_REDIRECT_URI")
POST_LOGOUT_REDIRECT_URI = env("DEVSERVER_POST_LOGOUT_REDIRECT_URI")
USERNAME = env("DEVSERVER_USERNAME")
PASSWORD = env("DEVSERVER_PASSWORD")
AUDIENCE = env("DEVSERVER_AUDIENCE")
TIMEOUT = 10

current = "start"


def step(name):
    def run(function):
        global current
        current = name
        started = time.perf_counter()
        result = function()
        print(f"step {name}: ok ({round((time.perf_counter() - started) * 1000)} ms)", flush=True)
        return result

    return run


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def main():
    expect(ISSUER.startswith("https://"), f"the issuer must be https: {ISSUER}")

    @step("discovery")
    def metadata():
        response = requests.get(f"{ISSUER}/.well-known/openid-configuration", timeout=TIMEOUT)
        response.raise_for_status()
        document = response.json()
        expect(document["issuer"] == ISSUER, f"issuer {document['issuer']}")
        expect("code" in document["response_types_supported"], "code flow")
        return document

    key_set = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=TIMEOUT).json())

    @step("sign-in (/api/v1/authn)")
    def session_token():
        origin = urllib.parse.urlsplit(ISSUER)
        response = requests.post(
            f"{origin.scheme}://{origin.netloc}/api/v1/authn",
            json={"username": USERNAME, "password": PASSWORD},
            timeout=TIMEOUT,
        )
        body = response.json()
        expect(response.status_code == 200 and body["status"] == "SUCCESS", f"authn: {body}")
        return body["sessionToken"]

    session = OAuth2Session(
        CLIENT_ID,
        CLIENT_SECRET,
        scope="openid profile email offline_access",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    code_verifier = generate_token(48)
    nonce = generate_token(24)

    @step("authorize")
    def callback():
        url, _state = session.create_authorization_url(
            metadata["authorization_endpoint"],
            code_verifier=code_verifier,
            nonce=nonce,
            sessionToken=session_token,
        )
        response = requests.get(url, allow_redirects=False, timeout=TIMEOUT)
        expect(response.status_code == 302, f"authorize answered {response.status_code}")
        location = response.headers["location"]
        expect(location.startswith(REDIRECT_URI), f"redirected to {location}")
        return location

    @step("code exchange and ID token checks")
    def tokens():
        tokens = session.fetch_token(
            metadata["token_endpoint"],
            authorization_response=callback,
            code_verifier=code_verifier,
            timeout=TIMEOUT,
        )
        expect(tokens["token_type"].lower() == "bearer", f"token_type {tokens['token_type']}")
        expect(tokens.get("refresh_token"), "no refresh token for offline_access")
        verified = jwt.decode(tokens["id_token"], key_set, algorithms=["RS256"])
        claims = CodeIDToken(
            verified.claims,
            verified.header,
            options={
                "iss": {"essential": True, "value": ISSUER},
                "aud": {"essential": True, "value": CLIENT_ID},
            },
            params={"nonce": nonce, "access_token": tokens["access_token"]},
        )
        claims.validate(leeway=120)  # iss, aud, exp, iat, nonce, at_hash
        # Okta's code-flow ID tokens are thin: name, preferred_username, email, no more.
        expect(claims["preferred_username"] == USERNAME, "preferred_username")
        expect(claims.get("email") and claims.get("name"), "name and email in the ID token")
        expect("given_name" not in claims, "given_name comes from userinfo only")
        tokens["subject"] = claims["sub"]
        return tokens

    @step("userinfo")
    def _userinfo():
        response = session.get(metadata["userinfo_endpoint"], timeout=TIMEOUT)
        response.raise_for_status()
        userinfo = response.json()
        expect(userinfo["sub"] == tokens["subject"], f"sub {userinfo['sub']}")
        expect(userinfo.get("given_name") and "email_verified" in userinfo, "profile and email claims")

    @step("ID token verification (okta-jwt-verifier)")
    def _okta_id_token():
        verifier = IDTokenVerifier(issuer=ISSUER, client_id=CLIENT_ID, audience=AUDIENCE)
        verifier.verify_sync(tokens["id_token"], nonce=nonce)

    @step("access-token verification (okta-jwt-verifier)")
    def _okta_access_token():
        AccessTokenVerifier(issuer=ISSUER, audience=AUDIENCE).verify_sync(tokens["access_token"])
        refused = False
        try:
            AccessTokenVerifier(issuer=ISSUER, audience="api://another").verify_sync(
                tokens["access_token"]
            )
        except Exception:  # noqa: BLE001 - any refusal will do
            refused = True
        expect(refused, "a wrong audience must be refused")

    @step("refresh")
    def refreshed():
        refreshed = session.refresh_token(
            metadata["token_endpoint"], refresh_token=tokens["refresh_token"], timeout=TIMEOUT
        )
        expect(refreshed["access_token"] != tokens["access_token"], "a new access token")
        return refreshed

    @step("introspect")
    def _introspect():
        active = session.introspect_token(
            metadata["introspection_endpoint"], token=refreshed["access_token"], timeout=TIMEOUT
        ).json()
        expect(active["active"] is True and active["client_id"] == CLIENT_ID, f"{active}")
        unknown = session.introspect_token(
            metadata["introspection_endpoint"], token="not-a-token", timeout=TIMEOUT
        ).json()
        expect(unknown == {"active": False}, f"{unknown}")
        # The client is registered for client_secret_basic; Okta also takes its secret in the
        # body (Okta's JavaScript SDK relies on it), and so must the devserver.
        in_body = OAuth2Session(
            CLIENT_ID, CLIENT_SECRET, token_endpoint_auth_method="client_secret_post"
        ).introspect_token(
            metadata["introspection_endpoint"], token=refreshed["access_token"], timeout=TIMEOUT
        )
        expect(in_body.status_code == 200, f"client_secret_post: {in_body.status_code}")
        expect(in_body.json()["active"] is True, f"client_secret_post: {in_body.json()}")

    @step("revoke")
    def _revoke():
        refresh_token = refreshed.get("refresh_token") or tokens["refresh_token"]
        response = session.revoke_token(
            metadata["revocation_endpoint"],
            token=refresh_token,
            token_type_hint="refresh_token",
            timeout=TIMEOUT,
        )
        expect(response.status_code == 200, f"revoke answered {response.status_code}")
        after = session.introspect_token(
            metadata["introspection_endpoint"], token=refresh_token, timeout=TIMEOUT
        ).json()
        expect(after["active"] is False, f"still active after revocation: {after}")

    @step("logout")
    def _logout():
        state = secrets.token_urlsafe(16)
        query = urllib.parse.urlencode(
            {
                "id_token_hint": tokens["id_token"],
                "post_logout_redirect_uri": POST_LOGOUT_REDIRECT_URI,
                "state": state,
            }
        )
        response = requests.get(
            f"{metadata['end_session_endpoint']}?{query}", allow_redirects=False, timeout=TIMEOUT
        )
        expect(response.status_code == 302, f"logout answered {response.status_code}")
        location = urllib.parse.urlsplit(response.headers["location"])
        expect(urllib.parse.parse_qs(location.query).get("state") == [state], f"{location}")


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 - report the step, whatever failed
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        print(f"FAILED step {current}: {detail}", flush=True)
        sys.exit(1)
    print("python: every step passed", flush=True)
