"""The `--where` language of `wb runs list`, parsed into parameterised SQL (never eval, never
values pasted into SQL text).

    expr       := term ("or" term)*
    term       := factor ("and" factor)*
    factor     := "not" factor | "(" expr ")" | comparison
    comparison := field OP value           OP: = != < <= > >=
    field      := params.KEY | metrics.KEY | tags.KEY | status | model | data | name | experiment
    value      := number | 'quoted' | "quoted" | bare-word

`data = 'sales'` matches runs that read any version of sales; `data = 'sales@3'` one version.
Keys may be quoted (`params."learning rate"`). A run without the named param, metric or tag
never matches a comparison on it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import InvalidInput

OPS = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
COLUMNS = {
    "status": "runs.status",
    "model": "runs.model",
    "name": "runs.name",
    "experiment": "experiments.name",
}
PREFIXES = ("params", "metrics", "tags")

_TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
    | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<op>==|!=|<>|<=|>=|=|<|>)
    | (?P<paren>[()])
    | (?P<dot>\.)
    | (?P<word>[A-Za-z_][\w\-]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    try:  # a lone surrogate (argv bytes that are not UTF-8) cannot become an SQL parameter
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(f"--where: character {exc.start + 1} is not UTF-8 text") from None
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        # every alternative is a named group, so a match always names its kind
        if not m or m.end() == pos or m.lastgroup is None:
            raise InvalidInput(f"--where: cannot read {text[pos:].strip()[:20]!r} (at character {pos + 1})")
        kind = m.lastgroup
        tokens.append(Token(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return tokens


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


MAX_DEPTH = 32
MAX_COMPARISONS = 100


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.args: list = []
        self.depth = 0
        self.comparisons = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise InvalidInput(f"--where: {self.text!r} ends too early")
        self.i += 1
        return tok

    def is_word(self, word: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text.lower() == word

    def parse(self) -> str:
        if not self.tokens:
            raise InvalidInput("--where: the expression is empty")
        sql = self.expr()
        if (tok := self.peek()) is not None:
            raise InvalidInput(f"--where: unexpected {tok.text!r} at character {tok.pos + 1}")
        return sql

    def expr(self) -> str:
        parts = [self.term()]
        while self.is_word("or"):
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def term(self) -> str:
        parts = [self.factor()]
        while self.is_word("and"):
            self.take()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def factor(self) -> str:
        if self.is_word("not"):
            self.take()
            return f"NOT {self.nested(self.factor)}"
        tok = self.peek()
        if tok is not None and tok.text == "(":
            self.take()
            inner = self.nested(self.expr)
            close = self.take()
            if close.text != ")":
                raise InvalidInput(f"--where: expected ')' at character {close.pos + 1}")
            return f"({inner})"
        return self.comparison()

    def nested(self, parse: Callable[[], str]) -> str:
        """Parse one level deeper; SQLite (and Python) limit how deep an expression may go."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InvalidInput(f"--where: nested more than {MAX_DEPTH} levels deep")
        try:
            return parse()
        finally:
            self.depth -= 1

    def comparison(self) -> str:
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise InvalidInput(f"--where: more than {MAX_COMPARISONS} comparisons")
        field, key = self.field()
        op_tok = self.take()
        if op_tok.kind != "op":
            raise InvalidInput(
                f"--where: expected a comparison (= != < <= > >=) after {field}, got {op_tok.text!r}"
            )
        op = OPS[op_tok.text]
        value = self.value()
        return self.sql(field, key, op, value)

    def field(self) -> tuple[str, str | None]:
        tok = self.take()
        if tok.kind != "word":
            raise InvalidInput(f"--where: expected a field name at character {tok.pos + 1}, got {tok.text!r}")
        name = tok.text.lower()
        if name in PREFIXES:
            dot = self.take()
            if dot.kind != "dot":
                raise InvalidInput(f"--where: write {name}.KEY (for example {name}.lr)")
            key_tok = self.take()
            if key_tok.kind == "str":
                return name, _unquote(key_tok.text)
            if key_tok.kind not in ("word", "num"):
                raise InvalidInput(f"--where: expected a key after '{name}.'")
            key = key_tok.text
            while (nxt := self.peek()) is not None and nxt.kind == "dot":  # dotted keys: a.b.c
                self.take()
                key += "." + self.take().text
            return name, key
        if name in COLUMNS or name == "data":
            return name, None
        raise InvalidInput(
            f"--where: unknown field {tok.text!r}; use params.KEY, metrics.KEY, "
            f"tags.KEY, status, model, data, name or experiment"
        )

    def value(self) -> float | bool | str:
        tok = self.take()
        if tok.kind == "num":
            return float(tok.text)
        if tok.kind == "str":
            return _unquote(tok.text)
        if tok.kind == "word":
            # Bare true/false are the booleans that `--param flag=true` logs; quote for text.
            return {"true": True, "false": False}.get(tok.text.lower(), tok.text)
        raise InvalidInput(f"--where: expected a value at character {tok.pos + 1}, got {tok.text!r}")

    def sql(self, field: str, key: str | None, op: str, value: float | bool | str) -> str:
        numeric = isinstance(value, float)
        if not numeric and op not in ("=", "!="):
            raise InvalidInput(f"--where: {op} needs a number, not {value!r}")
        if field == "params":
            column = "p.num" if numeric else "p.value"
            self.args += [key, value if numeric else json.dumps(value)]
            return (
                f"EXISTS (SELECT 1 FROM params p WHERE p.run_id = runs.id AND p.key = ? AND {column} {op} ?)"
            )
        if field == "metrics":
            if not numeric:
                raise InvalidInput(f"--where: metrics.{key} compares with numbers only")
            self.args += [key, value]
            return (
                f"EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_id = runs.id "
                f"AND m.key = ? AND m.value {op} ?)"
            )
        text = (
            _number_text(value)
            if isinstance(value, float)
            else json.dumps(value)
            if isinstance(value, bool)
            else value
        )
        if field == "tags":
            self.args += [key, text]
            return f"EXISTS (SELECT 1 FROM tags t WHERE t.run_id = runs.id AND t.key = ? AND t.value {op} ?)"
        if field == "data":
            self.args += [text, text]
            match = (
                "EXISTS (SELECT 1 FROM run_inputs i WHERE i.run_id = runs.id AND "
                "(i.dataset = ? OR i.dataset || '@' || i.version = ?))"
            )
            return match if op == "=" else f"NOT {match}"
        self.args.append(text)
        # A run without a model (a script's run) is "not lightgbm": compare NULL as ''.
        return f"COALESCE({COLUMNS[field]}, '') {op} ?"


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def compile_where(text: str) -> tuple[str, list]:
    """(SQL boolean expression over `runs` and `experiments`, its parameters)."""
    parser = _Parser(text)
    return parser.parse(), parser.args


def value_sort(key: str) -> tuple[str, str, str, bool] | None:
    """For `[-]metrics.X` or `[-]params.X`: (table, value column, key, descending), the shape
    that lets the list walk the (key, value) index in order; None for other sorts."""
    desc = key.startswith("-")
    prefix, _, sub = key.lstrip("-+").partition(".")
    if prefix == "metrics" and sub:
        return "latest_metrics", "value", sub, desc
    if prefix == "params" and sub:
        return "params", "num", sub, desc
    return None


def compile_sort(key: str) -> tuple[str, list]:
    """ORDER BY clause for `--sort [-]FIELD`; metrics and params sort missing values last."""
    desc = key.startswith("-")
    name = key.lstrip("-+")
    direction = "DESC" if desc else "ASC"
    prefix, _, sub = name.partition(".")
    if prefix in ("metrics", "params") and sub:
        table, column = ("latest_metrics", "value") if prefix == "metrics" else ("params", "num")
        expr = f"(SELECT {column} FROM {table} WHERE run_id = runs.id AND key = ?)"
        return f"{expr} IS NULL, {expr} {direction}", [sub, sub]
    columns = {
        "started_at": "runs.started_at",
        "created_at": "runs.created_at",
        "duration_s": "runs.duration_s",
        "name": "runs.name",
        "status": "runs.status",
        "model": "runs.model",
        "experiment": "experiments.name",
    }
    if name not in columns:
        raise InvalidInput(
            f"--sort: unknown key {name!r}; use metrics.KEY, params.KEY or one of "
            f"{', '.join(sorted(columns))} (prefix '-' for descending)"
        )
    return f"{columns[name]} {direction}", []
