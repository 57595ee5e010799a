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
