#!/usr/bin/python3
"""The Admin Center in a real headless Chromium, against a real `serve` over TLS.

Started by scripts/browser-check.sh, which makes the CA and the server, and passes:
BASE_URL, CA_FILE, SERVER_CERT, ADMIN_NAME, ADMIN_PASSWORD_FILE, ARTIFACTS (screenshots), WORK.

Walks the product's story: the login (a wrong password refused), the safeguard set on the
settings page (a bad value shown next to its field), datasets uploaded (a broken file refused
with its line, a file with bad rows accepted), Sync now, the history filtered to Partially Failed,
the failed users and their reasons, a user disabled during deletion, an edit in the user's
history, a tripped safeguard approved with a reason, and the sign-out. Every page fetched with GET
is parsed by html5lib's strict parser and checked for inline script and style (the CSP forbids
them), unlabelled inputs and console errors; each page is saved as a PNG in ARTIFACTS.
"""
import base64
import hashlib
import http.cookiejar
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

import html5lib
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ["BASE_URL"]
ARTIFACTS = os.environ["ARTIFACTS"]
WORK = os.environ["WORK"]
ADMIN = os.environ["ADMIN_NAME"]
PASSWORD = open(os.environ["ADMIN_PASSWORD_FILE"]).read().strip()
TLS = ssl.create_default_context(cafile=os.environ["CA_FILE"])

GROUPS_CSV = """groupId,name,parentGroupId,externalId
acme,Acme Corp,,g-acme
eng,Engineering,acme,g-eng
sales,Sales,acme,g-sales
"""

def user_rows(accounts):
    rows = []
    for n in accounts:
        group = "eng" if n % 2 else "sales"
        kind = "Administrator" if n == 1 else "Regular User"
        rows.append(f"u{n:02d},User {n:02d},u{n:02d}@acme.example,+44 7700 9000{n:02d},{kind},{group},,id-{n:02d}")
    return rows

HEADER = "account,name,email,mobile,accountType,groupIds,disabled,externalId"
# Ten good rows and two bad ones: an account type that does not exist, and u01's mobile again.
USERS_V1 = "\n".join([HEADER] + user_rows(range(1, 11)) + [
    "x-type,Xavier Type,xt@acme.example,+44 7700 900099,Superuser,eng,,id-90",
    "x-mobile,Mona Dup,md@acme.example,+44 7700 900001,Regular User,eng,,id-91",
]) + "\n"
USERS_V2 = "\n".join([HEADER] + user_rows(range(1, 9))) + "\n"   # u09, u10 leave: 2 deletions
USERS_V3 = "\n".join([HEADER] + user_rows(range(1, 5))) + "\n"   # u05..u08 leave: 4 > the limit of 3
BROKEN_CSV = HEADER + "\nu01,User 01,u01@acme.example,+1,Regular User,eng,,id-01\nu02,\"unterminated,x\n"

failures = []
checked_pages = 0
shot_number = 0


def write(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w") as handle:
        handle.write(text)
    return path


def make_driver():
    spki = subprocess.run(
        "openssl x509 -in \"$SERVER_CERT\" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary",
        shell=True, check=True, capture_output=True).stdout
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1360,900",
                     f"--user-data-dir={tempfile.mkdtemp(dir=WORK)}", "--lang=en-GB",
                     # Trust exactly the key of the certificate the test's own CA signed.
                     "--ignore-certificate-errors-spki-list=" + base64.b64encode(spki).decode()]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    environment = dict(os.environ, TZ="Europe/Berlin")
    service = Service(executable_path="/usr/bin/chromedriver", env=environment)
    return webdriver.Chrome(service=service, options=options)


driver = make_driver()
# An element looked up right after a form is sent may be on the page still to come: wait for it.
driver.implicitly_wait(5)
wait = WebDriverWait(driver, 20)


def url(path):
    return BASE + path


def find(css):
    return driver.find_element(By.CSS_SELECTOR, css)


def finds(css):
    return driver.find_elements(By.CSS_SELECTOR, css)


def text():
    return find("body").text


def raw_html(path):
    """The page as the server sent it, fetched with the browser's cookies."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=TLS), urllib.request.HTTPCookieProcessor(jar))
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    request = urllib.request.Request(url(path), headers={"Cookie": cookie})
    with opener.open(request) as response:
        return response.read().decode("utf-8"), response.headers


def check_page(label):
    """Strict HTML, no inline script or style, labelled inputs, no console errors; a screenshot."""
    global checked_pages, shot_number
    path = driver.current_url[len(BASE):]
    html, headers = raw_html(path)
    html5lib.HTMLParser(strict=True).parse(html)
    assert "script-src 'self'" in headers.get("Content-Security-Policy", ""), "no CSP header"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"{path}: an inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", html), f"{path}: an inline event handler"
    assert not re.search(r"\sstyle\s*=|<style", html), f"{path}: inline style"
    unlabelled = driver.execute_script("""
        return Array.from(document.querySelectorAll('input, select, textarea'))
          .filter(e => e.type !== 'hidden' && e.type !== 'submit' && e.labels.length === 0 && !e.getAttribute('aria-label'))
          .map(e => e.name || e.id);""")
    assert not unlabelled, f"{path}: inputs without a label: {unlabelled}"
    problems = [entry["message"] for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert not problems, f"{path}: console: {problems}"
    checked_pages += 1
    screenshot(label)


def expect_refusal(status):
    """A form refused on purpose answers with an error status, which Chromium logs: expect it."""
    logged = [entry["message"] for entry in driver.get_log("browser")]
    assert any(f"status of {status}" in message for message in logged), f"expected a {status} answer, the console had {logged}"


def screenshot(label):
    global shot_number
    shot_number += 1
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 900)")
    driver.set_window_size(1360, min(height + 40, 6000))
    driver.save_screenshot(os.path.join(ARTIFACTS, f"{shot_number:02d}-{label}.png"))
    driver.set_window_size(1360, 900)


def submit(form_css="form"):
    find(form_css + " button[type=submit]").click()


def go(path, label):
    driver.get(url(path))
    check_page(label)


def wait_for_url(pattern, seconds=30):
    WebDriverWait(driver, seconds).until(lambda d: re.search(pattern, d.current_url[len(BASE):]))


def sync_now():
    driver.get(url("/history"))
    find("form[action='/runs'] input[value=run] ~ button").click()
    # The progress page follows the run and opens its details when it has finished.
    wait_for_url(r"^/runs/\d+$")
    return int(re.search(r"/runs/(\d+)$", driver.current_url).group(1))


def upload(name, kind, path, accepted=True):
    driver.get(url("/datasets"))
    find("#dataset-name").clear()
    find("#dataset-name").send_keys(name)
    find(f"input[name=kind][value={kind}]").click()
    find("#dataset-file").send_keys(path)
    find("form[action='/datasets'] button[type=submit]").click()
    if accepted:
        wait_for_url(rf"^/datasets\?imported={name}$")
    else:
        wait.until(EC.presence_of_element_located((By.ID, "file-problem")))


STEPS = []


def step(function):
    STEPS.append(function)
    return function


@step
def an_unauthenticated_page_sends_to_the_login():
    driver.get(url("/history"))
    wait_for_url(r"^/login\?next=")
    check_page("login")


@step
def a_wrong_password_is_refused():
    find("#name").send_keys(ADMIN)
    find("#password").send_keys("not-the-password")
    submit("form[action='/login']")
    problem = wait.until(EC.presence_of_element_located((By.ID, "login-problem")))
    assert "wrong" in problem.text, problem.text
    assert "/login" in driver.current_url
    expect_refusal(401)
    screenshot("login-refused")


@step
def the_admin_signs_in_and_lands_where_they_were_going():
    find("#name").clear()
    find("#name").send_keys(ADMIN)
    find("#password").send_keys(PASSWORD)
    submit("form[action='/login']")
    wait_for_url(r"^/history$")
    assert f"Signed in as {ADMIN}" in text()
    check_page("history-empty")
    assert "No run yet" in text()


@step
def a_bad_safeguard_value_is_shown_next_to_its_field():
    go("/sync", "sync-empty")
    find("a[href='/sync/edit']").click()
    check_page("sync-edit")
    field = find("#safeguard-maxUserDeletions")
    field.clear()
    field.send_keys("ten")
    find("form[action='/sync'] button[type=submit]").click()
    error = find("#safeguard-maxUserDeletions-error")
    assert "'ten' is not a whole number" in error.text, error.text
    assert find("#safeguard-maxUserDeletions").get_attribute("value") == "ten"
    assert find("#safeguard-maxUserDeletions").get_attribute("aria-invalid") == "true"
    expect_refusal(400)
    screenshot("sync-edit-errors")


@step
def a_broken_file_is_refused_with_its_line():
    upload("people", "users", write("broken.csv", BROKEN_CSV), accepted=False)
    problem = find("#file-problem")
    assert "broken.csv:3: a quoted field starts here and is never closed" in problem.text, problem.text
    expect_refusal(400)
    screenshot("datasets-broken-file")
    go("/datasets", "datasets-empty")
    assert "No dataset yet" in text()


@step
def datasets_with_bad_rows_are_imported():
    upload("people", "users", write("people-v1.csv", USERS_V1))
    upload("org", "groups", write("org.csv", GROUPS_CSV))
    check_page("datasets")
    rows = {row.find_element(By.CSS_SELECTOR, "td a").text: row.text for row in finds("tbody tr")}
    assert " 12 " in rows["people"], rows
    go("/datasets/people", "dataset-people")
    assert "x-type" in text()


@step
def the_safeguard_and_datasets_are_saved_as_a_version():
    driver.get(url("/sync/edit"))
    find("#users-dataset option[value=people]").click()
    find("#groups-dataset option[value=org]").click()
    for field, value in [("#safeguard-maxUserDeletions", "3"), ("#safeguard-maxUserDeletionPercent", "100")]:
        find(field).clear()
        find(field).send_keys(value)
    find("form[action='/sync'] button[type=submit]").click()
    wait_for_url(r"^/sync\?saved=\d+$")
    assert "Saved as settings version" in text()
    check_page("sync")
    assert "Users deleted per run, at most\n3" in text() or "Users deleted per run, at most 3" in text()
    go("/sync/history", "sync-history")
    assert "sync.safeguard.maxUserDeletions" in text()


@step
def sync_now_runs_and_lands_on_the_run():
    run = sync_now()
    check_page("run-partially-failed")
    assert find("h1 .badge").text.endswith("Partially Failed"), find("h1").text
    globals()["first_run"] = run


@step
def the_history_filters_to_partially_failed_and_opens_that_run():
    go("/history", "history")
    find("input[name=status][value=partially_failed]").click()
    find("form.filters button[type=submit]").click()
    wait_for_url(r"status=partially_failed")
    check_page("history-partially-failed")
    badges = [badge.text for badge in finds("tbody .badge")]
    assert badges and all(b.endswith("Partially Failed") for b in badges), badges
    # The "Failed new users" count links to its list on the run's page.
    find(f"a[href='/runs/{first_run}#failed-new-users']").click()
    wait_for_url(rf"^/runs/{first_run}#failed-new-users$")


@step
def the_failed_users_are_listed_with_their_reasons():
    section = find("#failed-new-users")
    assert "Failed new users (2)" in section.text, section.text
    assert "x-type" in section.text and "Invalid account type" in section.text, section.text
    assert "x-mobile" in section.text and "Mobile number already in use" in section.text, section.text
    # A row that failed to be created has no user page to open.
    driver.implicitly_wait(0)
    assert not section.find_elements(By.LINK_TEXT, "x-type"), "a failed new user links to a page that does not exist"
    driver.implicitly_wait(5)
    screenshot("run-failed-users")


@step
def a_user_disabled_during_deletion_opens_from_the_run():
    upload("people", "users", write("people-v2.csv", USERS_V2))
    run = sync_now()
    check_page("run-disabled-on-deletion")
    section = find("#disabled-on-deletion")
    assert "Users disabled during deletion (2)" in section.text, section.text
    section.find_element(By.LINK_TEXT, "u09").click()
    wait_for_url(r"^/users/u09$")
    check_page("user-disabled")
    assert "disabled (left the dataset)" in text()
    go("/users?tab=disabled", "users-disabled")
    assert "u09" in text() and "u10" in text() and "u01" not in text()


@step
def an_edit_shows_in_the_users_history():
    go("/users?query=User%2003", "users-search")
    find("a[href='/users/u03']").click()
    wait_for_url(r"^/users/u03$")
    name = find("#name")
    name.clear()
    name.send_keys("Ursula Third")
    find("form[action='/users/u03'] button[type=submit]").click()
    wait_for_url(r"^/users/u03\?saved=1$")
    check_page("user-edited")
    history = find("#history-title").find_element(By.XPATH, "..").text
    assert "admin:alice" in history and "User 03" in history and "Ursula Third" in history, history


@step
def a_tripped_safeguard_is_approved_with_a_reason():
    upload("people", "users", write("people-v3.csv", USERS_V3))
    tripped = sync_now()
    check_page("run-safeguard-tripped")
    assert "The deletion safeguard stopped this run" in text()
    assert "Users this run would have deleted (4)" in find("#stopped-users").text
    # The browser asks for the reason itself (required); without that, the server refuses too.
    driver.execute_script("document.querySelector(\"form[action$='/approve']\").noValidate = true")
    find("form[action$='/approve'] button[type=submit]").click()
    error = find("#reason-error")
    assert "Give a reason" in error.text, error.text
    expect_refusal(400)
    screenshot("run-approve-needs-reason")
    find("#reason").send_keys("Reorganisation: four contractors left on Friday")
    find("form[action$='/approve'] button[type=submit]").click()
    wait_for_url(rf"^/runs/(?!{tripped}$)\d+$")
    approved = int(re.search(r"/runs/(\d+)$", driver.current_url).group(1))
    assert approved != tripped
    check_page("run-approved")
    assert find("h1 .badge").text.endswith("Success"), find("h1").text
    assert "admin:alice" in text() and "Reorganisation: four contractors left on Friday" in text()
    assert "Users disabled during deletion (4)" in find("#disabled-on-deletion").text
    driver.get(url(f"/runs/{tripped}"))
    assert f"This approval was used by run #{approved}" in text()


@step
def the_other_pages_render():
    go("/groups", "groups")
    assert "Engineering" in text()
    find("a[href='/groups/eng']").click()
    wait_for_url(r"^/groups/eng$")
    check_page("group")
    driver.get(url("/sync"))
    find("form[action='/runs'] input[value=dry] ~ button").click()
    wait_for_url(r"^/runs$")
    assert "Dry run" in find("h1").text
    screenshot("dry-run")
    go("/access", "access")
    find("#token-name").send_keys("hq-agent")
    find("form[action='/access/tokens'] button[type=submit]").click()
    token = find("#new-token").text
    assert token.startswith("ast_"), token
    screenshot("access-token-created")
    go(f"/runs/{first_run}/items/created-users", "run-section")


@step
def after_sign_out_the_history_sends_to_the_login():
    driver.get(url("/history"))
    find("form.signout button").click()
    wait_for_url(r"^/login\?signedOut=1$")
    assert "You are signed out" in text()
    driver.get(url("/history"))
    wait_for_url(r"^/login\?next=")


def main():
    started = time.time()
    try:
        for function in STEPS:
            name = function.__name__.replace("_", " ")
            try:
                function()
                print(f"✔ browser: {name}")
            except Exception as error:  # a failed step stops the story: later steps build on it
                failures.append(name)
                print(f"✘ browser: {name}: {error.__class__.__name__}: {error}")
                traceback.print_exc()
                try:
                    screenshot("FAILED-" + function.__name__)
                except Exception:
                    pass
                break
    finally:
        driver.quit()
    passed = len(STEPS) - len(failures) - (len(STEPS) - STEPS.index(next(f for f in STEPS if f.__name__.replace('_', ' ') == failures[0])) - 1 if failures else 0)
    print(f"browser: {passed} of {len(STEPS)} steps passed, {checked_pages} pages checked, screenshots in {ARTIFACTS} ({time.time() - started:.1f} s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
