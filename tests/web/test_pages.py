"""Every page over HTTP: status codes, login redirects, CSRF, escaping, forms that keep what was typed."""

from __future__ import annotations

import hashlib
import itertools
import re
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi import FastAPI
from markupsafe import escape
from sqlalchemy import func, select

from sebrus.db.models import AuthSession, Dataset
from sebrus.platform import ChainServices
from sebrus.services.accounts.sessions import hash_token
from tests.support.images import noise_png, png
from tests.support.web import PASSWORD, browser, create_dataset, csrf_from, field_block, register, submit

_datasets = itertools.count()
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "sebrus" / "web" / "templates"


def unique(name: str) -> str:
    return f"{name} {next(_datasets)}"


def test_public_pages_render_for_anyone(app: FastAPI) -> None:
    owner = browser(app)
    register(owner)
    dataset_id = create_dataset(owner, unique("public"))
    anyone = browser(app)
    for path in ("/", "/dashboard", "/login", "/register", f"/datasets/{dataset_id}"):
        page = anyone.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
        assert "<nav" in page.text and 'href="/dashboard"' in page.text and "Log in" in page.text


@pytest.mark.parametrize("path", ["/datasets/new", "/contribute", "/profile", "/review"])
def test_pages_that_need_an_account_send_you_to_login_and_back(app: FastAPI, path: str) -> None:
    client = browser(app)
    sent = client.get(path)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/login?next={path}"
    username = register(browser(app))
    logged_in = submit(
        client,
        sent.headers["location"],
        {"username": username, "password": PASSWORD, "next": path},
        action="/login",
    )
    assert logged_in.status_code == 303 and logged_in.headers["location"] == path
    assert client.get(path).status_code == 200


def test_login_refuses_to_redirect_off_site(app: FastAPI) -> None:
    username = register(browser(app))
    client = browser(app)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        done = submit(client, "/login", {"username": username, "password": PASSWORD, "next": target})
        assert done.status_code == 303 and done.headers["location"] == "/dashboard", target
        client.cookies.clear()


def test_wrong_password_is_shown_beside_the_field_and_keeps_the_username(app: FastAPI) -> None:
    username = register(browser(app))
    client = browser(app)
    refused = submit(client, "/login", {"username": username, "password": "not my password", "next": "/"})
    assert refused.status_code == 400
    assert "do not match an account" in field_block(refused.text, "password")
    assert f'value="{username}"' in refused.text
    assert "not my password" not in refused.text
    assert "session" not in client.cookies


def test_register_errors_keep_values_and_never_echo_the_password(app: FastAPI) -> None:
    client = browser(app)
    refused = submit(
        client,
        "/register",
        {
            "username": "newcomer",
            "password": "first secret!",
            "password_confirm": "second secret",
            "next": "/",
        },
    )
    assert refused.status_code == 400
    assert "two passwords differ" in field_block(refused.text, "password_confirm")
    assert 'value="newcomer"' in refused.text
    assert "first secret!" not in refused.text and "second secret" not in refused.text

    taken = register(browser(app))
    again = submit(
        client, "/register", {"username": taken, "password": PASSWORD, "password_confirm": PASSWORD}
    )
    assert again.status_code == 400 and "is taken" in field_block(again.text, "username")

    bad = submit(client, "/register", {"username": "x", "password": PASSWORD, "password_confirm": PASSWORD})
    assert bad.status_code == 400 and "3 to 32 characters" in field_block(bad.text, "username")


def test_forms_without_the_csrf_token_are_refused(app: FastAPI, services: ChainServices) -> None:
    username = register(browser(app))
    anonymous = browser(app)
    anonymous.get("/login")  # has the anonymous CSRF cookie, but sends no token
    refused = anonymous.post("/login", data={"username": username, "password": PASSWORD})
    assert refused.status_code == 403 and "Form refused" in refused.text
    assert "session" not in anonymous.cookies

    forged = anonymous.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": "0" * 64}
    )
    assert forged.status_code == 403

    owner = browser(app)
    register(owner)
    other = browser(app)
    register(other)
    name = unique("forged")
    # Another user's token (as a cross-site page might have obtained) does not pass either.
    stolen = csrf_from(other.get("/datasets/new").text)
    for token in ("", stolen):
        attempt = owner.post(
            "/datasets/new", data={"csrf_token": token, "name": name, "labels": "cat", "max_mb": "1"}
        )
        assert attempt.status_code == 403
    with app.state.platform.session_factory() as db:
        assert db.scalar(select(func.count()).select_from(Dataset).where(Dataset.name == name)) == 0


def test_a_script_in_a_dataset_name_is_shown_as_text(app: FastAPI) -> None:
    client = browser(app)
    register(client)
    name = unique('<script>alert("x")</script>')
    dataset_id = create_dataset(client, name, description="<img src=x onerror=alert(1)>", labels="<b>cat</b>")
    escaped = str(escape(name))
    for path in ("/dashboard?q=alert", f"/datasets/{dataset_id}", f"/contribute?dataset={dataset_id}"):
        page = client.get(path).text
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>cat</b>" not in page, path
        assert escaped in page, path


def test_create_dataset_errors_keep_what_was_typed(app: FastAPI) -> None:
    client = browser(app)
    register(client)
    typed = {"name": unique("kept"), "description": "my words", "labels": "cat, dog", "max_mb": "lots"}
    refused = submit(client, "/datasets/new", {**typed, "min_width": "wide"})
    assert refused.status_code == 400
    assert "number of megabytes" in field_block(refused.text, "max_mb")
    assert "whole number" in field_block(refused.text, "min_width")
    assert f'value="{typed["name"]}"' in refused.text
    assert ">my words</textarea>" in refused.text and ">cat, dog</textarea>" in refused.text
    assert 'value="lots"' in refused.text

    no_labels = submit(client, "/datasets/new", {"name": unique("bare"), "labels": " , ", "max_mb": "1"})
    assert no_labels.status_code == 400 and "at least one label" in field_block(no_labels.text, "labels")

    first = create_dataset(client, typed["name"])
    clash = submit(client, "/datasets/new", {"name": typed["name"], "labels": "a", "max_mb": "1"})
    assert clash.status_code == 400 and "already exists" in field_block(clash.text, "name")
    assert first > 0


def test_creating_a_dataset_shows_its_contract_address(app: FastAPI, services: ChainServices) -> None:
    client = browser(app)
    register(client)
    dataset_id = create_dataset(client, unique("anchored"), max_mb="0.5", max_width="64")
    page = client.get(f"/datasets/{dataset_id}?created=1").text
    with app.state.platform.session_factory() as db:
        dataset = db.get(Dataset, dataset_id)
        assert dataset is not None
        address, max_bytes, max_width = dataset.address, dataset.max_bytes, dataset.max_width
    assert (max_bytes, max_width) == (512 * 1024, 64)
    assert "Dataset created on chain" in page and address in page
    assert services.handle.ledger.dataset(address).address.lower() == address.lower()


def test_contribute_form_checks_each_file_on_the_server(app: FastAPI, services: ChainServices) -> None:
    client = browser(app)
    register(client)
    dataset_id = create_dataset(client, unique("uploads"), max_mb="0.01")  # 10,485 bytes
    good, big = png(11), noise_png((80, 80))
    assert len(big) > 10_485
    page = client.get(f"/contribute?dataset={dataset_id}")
    files = [
        ("files", ("good.png", good, "image/png")),
        ("files", ("big.png", big, "image/png")),
        ("files", ("notes.png", b"just some text", "image/png")),
    ]
    done = client.post(
        "/contribute",
        data={"csrf_token": csrf_from(page.text), "dataset": str(dataset_id), "label": "cat"},
        files=files,
    )
    assert done.status_code == 400  # not every file was accepted
    rows = re.findall(r'<li class="file-row (file-ok|file-error)">(.*?)</li>', done.text, re.S)
    assert [(kind, re.search(r'file-name">([^<]+)', body).group(1)) for kind, body in rows] == [  # type: ignore[union-attr]
        ("file-ok", "good.png"),
        ("file-error", "big.png"),
        ("file-error", "notes.png"),
    ]
    assert "larger than this dataset&#39;s limit of 10,485 bytes" in rows[1][1]
    assert "not an image" in rows[2][1]
    item_link = re.search(r'href="/items/(\d+)"', rows[0][1])
    assert item_link is not None, rows[0][1]

    item_page = client.get(f"/items/{item_link.group(1)}")
    assert item_page.status_code == 200
    sha = hashlib.sha256(good).hexdigest()
    record = services.handle.ledger.get_item(
        re.search(r'Contract</dt><dd><code class="address">(0x[0-9a-fA-F]{40})', item_page.text).group(1),
        sha,  # type: ignore[union-attr]
    )
    assert record is not None
    assert sha in item_page.text and record.contributor in item_page.text
    assert re.search(r"Transaction</dt><dd><code class=\"hash\">0x[0-9a-f]{64}</code>", item_page.text)
    assert "1 vote on one side decides this item" in item_page.text  # the default policy, x = 1
    assert "Votes stay hidden until the item is decided; only yours is shown" in item_page.text
    image = client.get(f"/api/dataset/{dataset_id}/items/{sha}/image")
    assert image.status_code == 200 and image.content == good


def test_contribute_form_errors_sit_beside_their_fields(app: FastAPI) -> None:
    client = browser(app)
    register(client)
    dataset_id = create_dataset(client, unique("labels"))
    page = client.get("/contribute")
    refused = client.post(
        "/contribute",
        data={"csrf_token": csrf_from(page.text), "dataset": str(dataset_id), "label": "horse"},
        files=[("files", ("", b"", "application/octet-stream"))],
    )
    assert refused.status_code == 400
    assert "Choose one of this dataset" in field_block(refused.text, "label")
    assert "at least one image" in field_block(refused.text, "files")
    assert re.search(rf'<option value="{dataset_id}"[^>]*selected', refused.text)


def test_a_refused_contribution_keeps_the_choices_and_asks_for_the_files_again_by_name(app: FastAPI) -> None:
    client = browser(app)
    register(client)
    dataset_id = create_dataset(client, unique("again"))
    page = client.get("/contribute")
    refused = client.post(
        "/contribute",
        data={"csrf_token": csrf_from(page.text), "dataset": str(dataset_id), "label": ""},
        files=[
            ("files", ("tabby.png", png(31), "image/png")),
            ("files", ("ginger.png", png(32), "image/png")),
        ],
    )
    assert refused.status_code == 400
    assert "Choose one of this dataset" in field_block(refused.text, "label")
    files_error = field_block(refused.text, "files")  # shown together with the label's error
    assert "choose your images again" in files_error and "tabby.png, ginger.png" in files_error
    assert re.search(rf'<option value="{dataset_id}"[^>]*selected', refused.text)
    kept = client.post(
        "/contribute",
        data={"csrf_token": csrf_from(page.text), "dataset": str(dataset_id), "label": "horse"},
        files=[("files", ("tabby.png", png(31), "image/png"))],
    )
    assert kept.status_code == 400 and "choose your images again" in field_block(kept.text, "files")


def test_dashboard_searches_and_counts_items_by_status(app: FastAPI) -> None:
    client = browser(app)
    register(client)
    marker = unique("zebra-stripes")
    dataset_id = create_dataset(client, marker)
    page = client.get(f"/contribute?dataset={dataset_id}")
    done = client.post(
        "/contribute",
        data={"csrf_token": csrf_from(page.text), "dataset": str(dataset_id), "label": "dog"},
        files=[("files", ("a.png", png(21), "image/png")), ("files", ("b.png", png(22), "image/png"))],
    )
    assert done.status_code == 200, done.text
    found = client.get("/dashboard", params={"q": "ZEBRA-stripes"}).text
    assert marker in found and found.count('class="card dataset-card"') >= 1
    card = next(c for c in found.split('<li class="card dataset-card">') if marker in c)
    assert '<span class="badge badge-pending">Pending</span> 2</li>' in card
    assert '<span class="badge badge-approved">Approved</span> 0</li>' in card
    assert "votes to decide: 1 on one side; stake per vote: 0.001 ETH" in card  # the default policy
    assert marker not in client.get("/dashboard", params={"q": "no-such-dataset-anywhere"}).text
    wildcard = client.get("/dashboard", params={"q": "%"}).text
    assert "No dataset matches" in wildcard  # a LIKE wildcard is searched for literally


def test_dataset_page_filters_and_pages_items(app: FastAPI) -> None:
    client = browser(app)
    register(client)
    dataset_id = create_dataset(client, unique("filters"))
    page = client.get(f"/contribute?dataset={dataset_id}")
    uploads = [("files", (f"{i}.png", png(100 + i), "image/png")) for i in range(3)]
    client.post(
        "/contribute",
        data={"csrf_token": csrf_from(page.text), "dataset": str(dataset_id), "label": "cat"},
        files=uploads,
    )
    every = client.get(f"/datasets/{dataset_id}").text
    assert every.count('<li class="thumb">') == 3
    assert every.count('alt="Image labelled cat') == 3
    assert client.get(f"/datasets/{dataset_id}?status=pending").text.count('<li class="thumb">') == 3
    approved = client.get(f"/datasets/{dataset_id}?status=approved").text
    assert '<li class="thumb">' not in approved and "No images match" in approved
    assert '<li class="thumb">' not in client.get(f"/datasets/{dataset_id}?label=dog").text
    bad = client.get(f"/datasets/{dataset_id}?contributor=nobody").text
    assert "40 hex digits" in bad and bad.count('<li class="thumb">') == 3
    wallet = re.search(r'title="(0x[0-9a-fA-F]{40})">by ', every)
    assert wallet is not None
    mine = client.get(f"/datasets/{dataset_id}", params={"contributor": wallet.group(1).lower()}).text
    assert mine.count('<li class="thumb">') == 3


def test_item_and_dataset_that_do_not_exist_are_404_pages(app: FastAPI) -> None:
    client = browser(app)
    for path in ("/items/999999", "/datasets/999999"):
        page = client.get(path)
        assert page.status_code == 404 and "text/html" in page.headers["content-type"]
        assert "There is no" in page.text


HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/no-such-page", 404, "There is no page at /no-such-page"),
        ("/items/not-a-number", 404, "There is no page at /items/not-a-number"),
        ("/review/vote", 405, "/review/vote answers a form, not a visit"),
        ("/dashboard?page=two", 422, "“page”: Input should be a valid integer"),
    ],
)
def test_a_browser_gets_an_error_page_in_the_site_layout(
    app: FastAPI, path: str, status: int, says: str
) -> None:
    page = browser(app).get(path, headers=HTML)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert says in page.text and "<nav" in page.text


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/no-such-page", "application/json"),  # a program, not a browser
        ("/review/vote", "application/json"),
        ("/api/no-such-thing", HTML["Accept"]),  # the API's errors stay JSON even for a browser
        ("/static/no-such-file.css", HTML["Accept"]),
    ],
)
def test_programs_and_the_api_keep_json_errors(app: FastAPI, path: str, accept: str) -> None:
    answer = browser(app).get(path, headers={"Accept": accept})
    assert answer.status_code in (404, 405)
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["status"] in ("Not Found", "Method Not Allowed")


def test_review_says_it_is_not_available(app: FastAPI) -> None:
    client = browser(app)
    register(client)
    review = client.get("/review")
    assert review.status_code == 200 and "Choose a dataset" in review.text  # the review network is on


def test_home_shows_the_chain_state(app: FastAPI, services: ChainServices) -> None:
    page = browser(app).get("/").text
    ledger = services.handle.ledger
    assert "Embedded Ethereum chain" in page
    assert f"Chain id</dt><dd>{ledger.chain_id}</dd>" in page
    shown = int(re.search(r"Latest block</dt><dd>(\d+)</dd>", page).group(1))  # type: ignore[union-attr]
    assert 0 < shown <= ledger.block_number()


def test_profile_shows_wallet_balance_and_contributions(app: FastAPI, services: ChainServices) -> None:
    client = browser(app)
    username = register(client)
    dataset_id = create_dataset(client, unique("mine"))
    page = client.get(f"/contribute?dataset={dataset_id}")
    client.post(
        "/contribute",
        data={"csrf_token": csrf_from(page.text), "dataset": str(dataset_id), "label": "dog"},
        files=[("files", ("a.png", png(301), "image/png"))],
    )
    profile = client.get("/profile").text
    address = re.search(r'Address</dt><dd><code class="address">(0x[0-9a-fA-F]{40})', profile)
    assert address is not None and f"<h1>{username}</h1>" in profile
    balance = services.handle.ledger.balance(address.group(1))
    assert balance > 0
    shown = f"{(Decimal(balance) / 10**18).quantize(Decimal('0.000001')):,f}".rstrip("0").rstrip(".")
    assert f"{shown} ETH" in profile
    assert "1 image anchored." in profile and f'href="/datasets/{dataset_id}"' in profile


def test_logout_needs_a_post_and_ends_the_session(app: FastAPI) -> None:
    client = browser(app)
    register(client)
    token = client.cookies["session"]
    confirm = client.get("/logout")
    assert confirm.status_code == 200 and "Log out" in confirm.text
    assert client.get("/profile").status_code == 200  # a GET does not log anyone out
    done = client.post("/logout", data={"csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303 and done.headers["location"] == "/?logged_out=1"
    assert "session" not in client.cookies
    client.cookies.set("session", token)  # the old cookie is dead on the server too
    assert client.get("/profile").status_code == 303
    with app.state.platform.session_factory() as db:
        assert db.scalar(select(AuthSession).where(AuthSession.token_hash == hash_token(token))) is None


def test_pages_send_a_strict_content_security_policy(app: FastAPI) -> None:
    client = browser(app)
    for path in ("/", "/login", "/dashboard", "/static/css/sebrus.css", "/static/js/contribute.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "unsafe-inline" not in policy, path
    assert client.get("/").headers["cache-control"] == "no-store"
    form = client.get("/login")
    anonymous_csrf = next(c for c in form.headers.get_list("set-cookie") if c.startswith("sebrus_csrf="))
    assert "HttpOnly" in anonymous_csrf and "SameSite=lax" in anonymous_csrf


def test_templates_have_no_inline_script_style_or_safe_filter() -> None:
    """The CSP forbids inline scripts and styles; `|safe` would switch autoescaping off."""
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"\son[a-z]+=", text), template
        assert "style=" not in text and "<style" not in text, template
        assert "|safe" not in text.replace(" ", "") and "Markup(" not in text, template


def test_session_cookie_from_the_login_form_is_httponly_and_lax(app: FastAPI) -> None:
    username = register(browser(app))
    client = browser(app)
    done = submit(client, "/login", {"username": username, "password": PASSWORD, "next": "/"})
    cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie


def test_wallet_pages_offer_the_servers_own_network_on_the_embedded_chain(
    app: FastAPI, services: ChainServices
) -> None:
    """The Contribute and Review pages carry the "Add this server's network" button for wallet_link.js."""
    client = browser(app)
    register(client)
    create_dataset(client, unique("network"))  # the Contribute form shows once there is a dataset
    chain_id = services.handle.ledger.chain_id
    for path in ("/contribute", "/review"):
        page = client.get(path).text
        button = re.search(r"<button[^>]*data-add-network[^>]*>", page)
        assert button is not None, path
        assert f'data-chain-id="{chain_id}"' in button.group(0)
        assert 'data-chain-name="SeBRUS (testserver)"' in button.group(0)
