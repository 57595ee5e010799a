"""What the Python clients read off the lab's HTML pages, as a browser would."""

import html.parser


class Hidden(html.parser.HTMLParser):
    """The hidden inputs of a form, such as the sign-in page's request_id and csrf_token."""

    def __init__(self):
        super().__init__()
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a.get("value", "")


def approve(url, username, password, scopes):
    """The user, in a browser: opens the authorization URL, signs in on the
    lab's page and approves `scopes`. The answer to the form, not followed."""
    import requests

    browser = requests.Session()
    page = browser.get(url, timeout=10)
    assert page.status_code == 200, page.text
    form = Hidden()
    form.feed(page.text)
    decision = [("request_id", form.fields["request_id"]), ("csrf_token", form.fields["csrf_token"]),
                ("decision", "approve"), ("username", username), ("password", password)]
    decision += [("scope", s) for s in scopes]
    return browser.post(url.split("?")[0], data=decision, allow_redirects=False, timeout=10)
