"""``[tool.notifier]`` in ``pyproject.toml`` as typed, validated settings.

Every option is declared once, with its type, default and documentation, so that validation reports
every problem at once (naming the key) and the configuration reference in ``docs/`` can be generated
from the same declarations.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from notifier.errors import ConfigError
from notifier.vocabulary import Vocabulary

SECTION = "tool.notifier"


@dataclass(frozen=True)
class Option:
    """One configuration key: its type, default and what it means."""

    key: str
    kind: type
    default: Any
    doc: str
    check: Callable[[Any], str | None] | None = None


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be a positive number"


def _not_negative(value: Any) -> str | None:
    return None if value >= 0 else "must be zero or more"


def _relative_inside(value: Any) -> str | None:
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts:
        return "must be a relative path inside the repository (no '..', not absolute)"
    return None


def _url(value: Any) -> str | None:
    if value and not value.startswith(("https://", "http://")):
        return "must start with https:// or http://"
    return None


def _email(value: Any) -> str | None:
    local, _, domain = value.partition("@")
    return (
        None if local and "." in domain else "must be an e-mail address such as legal@example.com"
    )


def _batch_size(value: Any) -> str | None:
    return None if 1 <= value <= 1000 else "must be between 1 and 1000 (SendGrid's limit)"


def _channel_list(value: Any) -> str | None:
    unknown = [item for item in value if item not in ("email", "inapp")]
    return f"has unknown channels {unknown}; use email and inapp" if unknown else None


def _string_list(value: Any) -> str | None:
    if all(isinstance(item, str) and item.strip() for item in value):
        return None
    return "must be a list of non-empty strings"


def _topic_table(value: Any) -> str | None:
    bad = [
        name for name, terms in value.items() if not isinstance(terms, list) or _string_list(terms)
    ]
    if bad:
        return f"must map each topic to a list of terms (check {', '.join(map(repr, bad))})"
    return None


OPTIONS: tuple[Option, ...] = (
    Option(
        "policy_dir",
        str,
        "policy",
        "Folder holding the policies (`*.md`), relative to the repository.",
        _relative_inside,
    ),
    Option(
        "release_branch",
        str,
        "main",
        "Branch whose first-parent history defines the releases.",
    ),
    Option(
        "notice_period_days",
        int,
        30,
        "Days between merging a material change and its effective date, at least.",
        _not_negative,
    ),
    Option(
        "reminder_days",
        int,
        0,
        "Days before a material change takes effect when `notifier daily` sends a reminder "
        "e-mail (0: no reminder).",
        _not_negative,
    ),
    Option("site_url", str, "", "Public URL of the published policy site.", _url),
    Option(
        "state_dir",
        str,
        ".notifier",
        "Folder for local state (SQLite ledger, outbox, built site).",
        _relative_inside,
    ),
    Option(
        "sender.name", str, "", "Name shown as the sender of notices (`[tool.notifier.sender]`)."
    ),
    Option("sender.email", str, "notices@example.com", "Address notices are sent from.", _email),
    Option("sender.address", str, "", "Postal address printed at the foot of notices."),
    Option(
        "ledger_url",
        str,
        "",
        "SQLAlchemy URL of the ledger; `NOTIFIER_DATABASE_URL` overrides it; empty: SQLite in "
        "`state_dir`.",
    ),
    Option(
        "templates_dir",
        str,
        "templates",
        "Folder of e-mail templates that override the built-in ones (`email/subject.txt`, "
        "`email/body.html`, `email/body.txt`, `email/style.css`).",
        _relative_inside,
    ),
    Option(
        "channels.material",
        list,
        ["email", "inapp"],
        "Channels that announce a material release.",
        _channel_list,
    ),
    Option(
        "channels.editorial",
        list,
        ["inapp"],
        "Channels that announce an editorial release.",
        _channel_list,
    ),
    Option(
        "channels.none", list, [], "Channels that announce a release without change.", _channel_list
    ),
    Option("inapp.audience", str, "policy-notifier", "`aud` that user tokens must carry."),
    Option(
        "inapp.allowed_origins",
        list,
        [],
        "Origins of the application pages allowed to call the notice API from a browser (CORS).",
        _string_list,
    ),
    Option(
        "inapp.acknowledge",
        list,
        ["material"],
        "Classes of change the user must acknowledge in the app.",
        _string_list,
    ),
    Option(
        "inapp.token_lifetime", int, 3600, "Longest accepted token lifetime, in seconds.", _positive
    ),
    Option("sendgrid.category", str, "policy-notice", "Category of every notice e-mail."),
    Option(
        "sendgrid.asm_group_id",
        int,
        0,
        "Unsubscribe group (0: none; a notice of changed "
        "terms is transactional and normally has none).",
        _not_negative,
    ),
    Option("sendgrid.sandbox", bool, False, "Validate requests without sending any e-mail."),
    Option("sendgrid.timeout", float, 30.0, "Seconds to wait for SendGrid's answer.", _positive),
    Option(
        "sendgrid.batch_size",
        int,
        1000,
        "Recipients per request (at most 1000), fixed for them when they are queued.",
        _batch_size,
    ),
    Option("sendgrid.threads", int, 4, "Requests in flight at once.", _positive),
    Option(
        "sendgrid.max_retries",
        int,
        6,
        "Retries of a failed request before the run stops.",
        _not_negative,
    ),
    Option(
        "sendgrid.backoff",
        float,
        0.5,
        "First wait between retries, in seconds (it doubles each time, up to 30 s).",
        _positive,
    ),
    Option(
        "classify.topics",
        dict,
        {},
        "Topic vocabularies of the change classifier (`[tool.notifier.classify.topics]`): "
        '`name = ["term", ...]`; a built-in name replaces that list, a new name adds a topic.',
        _topic_table,
    ),
    Option(
        "classify.product_names",
        list,
        [],
        "Product names: replacing one by another is an editorial change.",
        _string_list,
    ),
)


@dataclass(frozen=True)
class SenderSettings:
    """Who notices come from."""

    name: str = ""
    email: str = "notices@example.com"
    address: str = ""


@dataclass(frozen=True)
class SendGridOptions:
    """``[tool.notifier.sendgrid]``: how notices go out through SendGrid."""

    category: str = "policy-notice"
    asm_group_id: int = 0
    sandbox: bool = False
    timeout: float = 30.0
    batch_size: int = 1000
    threads: int = 4
    max_retries: int = 6
    backoff: float = 0.5


@dataclass(frozen=True)
class ClassifySettings:
    """How changes are classified: topic vocabularies and product names."""

    topics: Mapping[str, list[str]] = field(default_factory=dict)
    product_names: tuple[str, ...] = ()

    def vocabulary(self) -> Vocabulary:
        """The classifier's vocabulary: defaults with these settings applied."""
        if not self.topics and not self.product_names:
            return Vocabulary.default()
        return Vocabulary.build(self.topics, self.product_names)


@dataclass(frozen=True)
class InAppOptions:
    """``[tool.notifier.inapp]``: the in-app notice API."""

    audience: str = "policy-notifier"
    allowed_origins: tuple[str, ...] = ()
    acknowledge: tuple[str, ...] = ("material",)
    token_lifetime: int = 3600


@dataclass(frozen=True)
class Settings:
    """Validated ``[tool.notifier]`` settings of one repository."""

    root: Path
    policy_dir: str = "policy"
    release_branch: str = "main"
    notice_period_days: int = 30
    reminder_days: int = 0
    site_url: str = ""
    state_dir: str = ".notifier"
    sender: SenderSettings = field(default_factory=SenderSettings)
    classify: ClassifySettings = field(default_factory=lambda: ClassifySettings())
    sendgrid: SendGridOptions = field(default_factory=SendGridOptions)
    inapp: InAppOptions = field(default_factory=InAppOptions)
    channels: dict[str, list[str]] = field(default_factory=dict)
    ledger_url: str = ""
    templates_dir: str = "templates"

    @property
    def state_path(self) -> Path:
        """Absolute path of the local state folder."""
        return self.root / self.state_dir

    @property
    def policy_path(self) -> Path:
        """Absolute path of the policy folder."""
        return self.root / self.policy_dir


def load_settings(root: Path) -> Settings:
    """Read and validate ``[tool.notifier]`` of ``root/pyproject.toml`` (defaults if absent)."""
    pyproject = root / "pyproject.toml"
    table: Mapping[str, Any] = {}
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(
                [f"pyproject.toml is not valid TOML: {exc}"], where=str(pyproject)
            ) from None
        table = data.get("tool", {}).get("notifier", {})
    return settings_from_table(root, table, where=f"{pyproject} [{SECTION}]")


def _cross_key_problems(values: Mapping[str, Any]) -> list[str]:
    reminder, period = values["reminder_days"], values["notice_period_days"]
    if reminder and reminder >= period:
        return [
            f"'reminder_days' ({reminder}) must be less than 'notice_period_days' ({period}), "
            "or the reminder would come before the notice"
        ]
    return []


def settings_from_table(root: Path, table: Mapping[str, Any], *, where: str) -> Settings:
    """Validate a ``[tool.notifier]`` table and build :class:`Settings`; all problems at once."""
    flat, problems = _flatten(table)
    known = {option.key: option for option in OPTIONS}
    problems += [_unknown_key(key, known) for key in flat if key not in known]
    values: dict[str, Any] = {}
    for option in OPTIONS:
        value = flat.get(option.key, option.default)
        problem = _check_value(option, value)
        if problem:
            problems.append(problem)
        values[option.key] = value
    if not problems:
        problems += _cross_key_problems(values)
    if problems:
        raise ConfigError(problems, where=where)
    sender = SenderSettings(**_pop_table(values, "sender"))
    sendgrid = SendGridOptions(**_pop_table(values, "sendgrid"))
    channels = _pop_table(values, "channels")
    inapp = _pop_table(values, "inapp")
    inapp_options = InAppOptions(
        audience=inapp["audience"],
        allowed_origins=tuple(inapp["allowed_origins"]),
        acknowledge=tuple(inapp["acknowledge"]),
        token_lifetime=inapp["token_lifetime"],
    )
    classify = _pop_table(values, "classify")
    classify_settings = ClassifySettings(
        topics=classify["topics"], product_names=tuple(classify["product_names"])
    )
    return Settings(
        root=root,
        sender=sender,
        classify=classify_settings,
        sendgrid=sendgrid,
        channels=channels,
        inapp=inapp_options,
        **values,
    )


def _pop_table(values: dict[str, Any], table: str) -> dict[str, Any]:
    """Remove the keys ``<table>.<name>`` from ``values`` and return them by name."""
    prefix = table + "."
    return {key[len(prefix) :]: values.pop(key) for key in list(values) if key.startswith(prefix)}


def _flatten(table: Mapping[str, Any], prefix: str = "") -> tuple[dict[str, Any], list[str]]:
    flat: dict[str, Any] = {}
    problems: list[str] = []
    sub_tables = {option.key.split(".")[0] for option in OPTIONS if "." in option.key}
    for key, value in table.items():
        name = prefix + key
        if (
            isinstance(value, dict)
            and key in sub_tables
            and not prefix
            and name != "classify.topics"
        ):
            inner, inner_problems = _flatten(value, prefix=name + ".")
            flat.update(inner)
            problems += inner_problems
        else:
            flat[name] = value
    return flat, problems


def _unknown_key(key: str, known: Mapping[str, Option]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown key '{key}'{hint}"


def _check_value(option: Option, value: Any) -> str | None:
    # bool is an int in Python; a boolean where a number is expected is a mistake.
    if option.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, option.kind) or (option.kind is int and isinstance(value, bool)):
        return f"'{option.key}' must be {option.kind.__name__}, not {type(value).__name__}"
    if option.check:
        problem = option.check(value)
        if problem:
            return f"'{option.key}' {problem}"
    return None
