"""Sphinx configuration: the kit's API reference, built from its docstrings (``make docs``).

The front page is the kit's README; the reference documents every name of ``sockettest``'s
``__all__``, ``sockettest.contract``, ``sockettest.strategies`` and the pytest plugin's fixtures,
each generated from the code, so that a new or renamed name needs no edit here. Nothing is
fetched at build time (no intersphinx). A build with ``-W`` fails on any warning, including the
two this file adds: a public name missing from the reference, and a docstring's reference to a
``sockettest`` name that does not exist.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import inspect
import pkgutil
import re
import typing
from importlib.metadata import entry_points
from importlib.metadata import version as installed_version
from pathlib import Path
from types import ModuleType
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.addnodes import desc_annotation, desc_signature, pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.ext import napoleon
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

project = "sockettest"
author = "the sockettest authors"
release = installed_version("sockettest")
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
html_theme = "furo"
html_title = f"sockettest {release}"

# Google-style sections ("Args:", "Returns:", "Raises:", "Attributes:"); an "Attributes:"
# section becomes a field list, so that a property it describes is not documented twice.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True
autodoc_default_options = {"members": True, "undoc-members": True, "member-order": "bysource"}
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
# References to the standard library and pytest cannot resolve offline and are left as text;
# so are the private modules' own names that annotations mention (sockettest._types.Socket).
# A reference to a public sockettest name that does not exist is a warning (nitpicky), and so is
# a bare name in a docstring that is not the kit's, a builtin or a module (_report_unknown_name).
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", r"(?!sockettest\.).*"), (r"py:.*", r"sockettest\._.*")]

logger = logging.getLogger(__name__)
MAX_VALUE_LENGTH = 80


def _plugin_module() -> ModuleType:
    """The module pytest loads as sockettest's plugin, found through its entry point."""
    (plugin,) = entry_points(group="pytest11", name="sockettest")
    module = plugin.load()
    assert isinstance(module, ModuleType)
    return module


def _wrapped(fixture: Any) -> Any:
    """The function a ``@pytest.fixture`` decorated."""
    unwrap = getattr(fixture, "_get_wrapped_function", None)
    return unwrap() if unwrap is not None else fixture


def _fixtures(module: ModuleType) -> list[tuple[str, Any]]:
    """The fixtures a plugin module defines, in source order, as (name, fixture)."""
    found = [
        (getattr(value, "name", name), value)
        for name, value in vars(module).items()
        if hasattr(value, "_fixture_function_marker")
    ]
    return sorted(found, key=lambda item: inspect.getsourcelines(_wrapped(item[1]))[1])


def _nested(directive: SphinxDirective, lines: list[str], source: str) -> list[nodes.Node]:
    container = nodes.container()
    directive.state.nested_parse(StringList(lines, source=source), 0, container)
    return container.children


def _indented(text: str) -> list[str]:
    return [f"   {line}" if line else "" for line in text.splitlines()]


def _assignment_in(module_name: str, name: str) -> tuple[str, str] | None:
    """The source text of a module-level ``name = ...`` and its documentation, if the module
    assigns ``name``."""
    module = importlib.import_module(module_name)
    source = Path(inspect.getfile(module)).read_text(encoding="utf-8")
    for statement in ast.parse(source).body:
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            attr_docs = ModuleAnalyzer.for_module(module_name).find_attr_docs()
            doc = "\n".join(attr_docs.get(("", name), []))
            return ast.get_source_segment(source, value) or "", doc
    return None


def _data_home(package: ModuleType, name: str) -> tuple[str, str]:
    """Where the package or its submodules assign the constant or type alias ``name``: its
    source text and its documentation (the string after it, or ``#:`` comments before it)."""
    submodules = pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
    for module_name in (package.__name__, *(info.name for info in submodules)):
        found = _assignment_in(module_name, name)
        if found is not None:
            return found
    raise LookupError(f"{package.__name__}.{name}: no module of it assigns it")


class PublicNamesDirective(SphinxDirective):
    """``.. public-names:: package``: every name of the package's ``__all__``, in its order,
    documented where the package re-exports it: classes and functions by autodoc, constants and
    type aliases from the module that assigns them. Submodules have pages of their own."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        package = importlib.import_module(self.arguments[0])
        lines: list[str] = []
        for name in package.__all__:
            value = getattr(package, name)
            qualified = f"{package.__name__}.{name}"
            if isinstance(value, ModuleType):
                continue
            if inspect.isclass(value):
                lines.append(f".. autoclass:: {qualified}")
                if any(base.__name__.startswith("_") for base in value.__mro__[1:]):
                    lines.append("   :inherited-members:")  # a private base's are the class's
                lines.append("")
            elif callable(value) and not hasattr(value, "__origin__"):
                lines += [f".. autofunction:: {qualified}", ""]
            else:
                text, doc = _data_home(package, name)
                lines += [f".. py:data:: {name}", f"   :module: {package.__name__}"]
                lines += [f"   :value: {' '.join(text.split())}", ""]
                lines += [*_indented(doc), ""]
        return _nested(self, lines, package.__name__)


def _fixture_value(annotation: object) -> str:
    """What a test that requests the fixture gets, as reST, from the return annotation of the
    function (a string: the plugin imports its types only for type checking)."""
    if not isinstance(annotation, str):
        return ""
    value = annotation
    yielded = re.fullmatch(r"(?:Iterator|Generator)\[(.*)\]", annotation)
    if yielded:  # a yield fixture gives the first type argument
        depth, value = 0, yielded.group(1)
        for index, character in enumerate(value):
            depth += {"[": 1, "]": -1}.get(character, 0)
            if character == "," and depth == 0:
                value = value[:index]
                break
    if value in importlib.import_module("sockettest").__all__:
        return f":class:`~sockettest.{value}`"
    return f"``{value}``"


class FixturesDirective(SphinxDirective):
    """``.. fixtures::``: every fixture of the sockettest plugin, with its docstring, the
    fixtures it requests and what it gives."""

    def run(self) -> list[nodes.Node]:
        module = _plugin_module()
        lines: list[str] = []
        for name, fixture in _fixtures(module):
            function = _wrapped(fixture)
            signature = inspect.signature(function)
            marker = fixture._fixture_function_marker
            lines += [f".. fixture:: {name}", "", *_indented(inspect.getdoc(function) or ""), ""]
            requested = [p for p in signature.parameters if p != "request"]
            if requested:
                lines.append(f"   :Requests: {', '.join(f':fixture:`{p}`' for p in requested)}")
            if marker.params:
                cases = ", ".join(f"``{p.values[0]}``" for p in marker.params)
                lines.append(f"   :Cases: {cases}")
            value = _fixture_value(signature.return_annotation)
            if value:
                lines.append(f"   :Value: {value}")
            lines += [f"   :Scope: {marker.scope}", ""]
        return _nested(self, lines, module.__name__)


def _is_outside_name(name: str) -> bool:
    """A builtin, a name of :mod:`typing` (an annotation's ``Any``), or a module of the
    standard library or of an installed package."""
    if hasattr(builtins, name) or hasattr(typing, name):
        return True
    return name.isidentifier() and importlib.util.find_spec(name) is not None


def _report_unknown_name(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.Element
) -> None:
    """Warn for a bare name a docstring refers to that is neither documented nor a builtin or a
    module: after a rename, ``:class:`OldName``` would otherwise print as plain text, silently.
    (Signatures are left alone: an annotation may name a type imported only for type checking.)
    """
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or "." in target or _is_outside_name(target):
        return
    parent = node.parent
    while parent is not None:
        if isinstance(parent, desc_signature):
            return
        parent = parent.parent
    logger.warning("%r is not a documented name, a builtin or a module", target, location=node)


def _napoleon_except_attributes(  # noqa: PLR0917 (the event's signature)
    app: Sphinx, what: str, name: str, obj: object, options: Any, lines: list[str]
) -> None:
    """napoleon, except on an attribute's or property's docstring, which stays as written:
    napoleon reads a first line ``The names: the methods called`` as a type and a text."""
    if what not in ("attribute", "data", "property"):
        napoleon._process_docstring(app, what, name, obj, options, lines)


def _drop_long_values(app: Sphinx, doctree: nodes.document) -> None:
    """Leave out a constant's value where it would fill more than a line (``CHECKS``, a tuple
    of every check function, printed as their reprs): its docstring says what it holds."""
    for signature in doctree.findall(desc_signature):
        for annotation in list(signature.findall(desc_annotation)):
            text = annotation.astext().strip()
            if text.startswith("=") and len(text) > MAX_VALUE_LENGTH:
                annotation.parent.remove(annotation)


def _no_signature_for_a_protocol(  # noqa: PLR0917 (the event's signature)
    app: Sphinx,
    what: str,
    name: str,
    obj: object,
    options: Any,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str, str | None] | None:
    """A protocol (``Socket``, ``SocketFactory``) is a type to annotate with, never made: leave
    out the ``(*args, **kwargs)`` that ``typing.Protocol`` gives every such class."""
    if what == "class" and getattr(obj, "_is_protocol", False):
        return "", return_annotation
    return None


def _check_every_public_name_is_documented(app: Sphinx, env: BuildEnvironment) -> None:
    """Warn for each public name or fixture the reference leaves out."""
    py = env.get_domain("py")
    documented = {*py.objects, *py.modules}  # type: ignore[attr-defined]
    for module_name in ("sockettest", "sockettest.contract", "sockettest.strategies"):
        module = importlib.import_module(module_name)
        for name in module.__all__:
            if f"{module_name}.{name}" not in documented:
                logger.warning("%s.%s is public but not in the API reference", module_name, name)
    fixtures = {name for kind, name in env.get_domain("std").objects if kind == "fixture"}
    for name, _fixture in _fixtures(_plugin_module()):
        if name not in fixtures:
            logger.warning("the fixture %s is not in the API reference", name)


def setup(app: Sphinx) -> dict[str, Any]:
    for listener in app.events.listeners["autodoc-process-docstring"]:
        if listener.handler is napoleon._process_docstring:
            app.disconnect(listener.id)
    app.connect("autodoc-process-docstring", _napoleon_except_attributes)
    app.add_object_type(
        "fixture", "fixture", objname="pytest fixture", indextemplate="pair: %s; pytest fixture"
    )
    app.add_directive("public-names", PublicNamesDirective)
    app.add_directive("fixtures", FixturesDirective)
    app.connect("missing-reference", _report_unknown_name)
    app.connect("doctree-read", _drop_long_values)
    app.connect("autodoc-process-signature", _no_signature_for_a_protocol)
    app.connect("env-check-consistency", _check_every_public_name_is_documented)
    return {"parallel_read_safe": True}
