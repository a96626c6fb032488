"""The import contract: domain code never depends on the web layer.

Models, services, selectors, permissions, tasks and every other rule module are used by pages,
the API, commands and workers alike; if one imported a view, a serializer or a URL module, a
Celery worker would load the web layer and a change to a page could break a bill run. Checked on
the real import graph (grimp, the engine of import-linter), chains through other modules
included, so a new module is covered by its name alone.
"""

import grimp

APPS = ("crm", "billing", "complaints", "training", "portal")
# A module is of the web layer when any part of its dotted name says so.
WEB_PARTS = frozenset(
    {
        "api",
        "views",
        "urls",
        "admin",
        "forms",
        # Page filters and list plumbing (portal.workspaces), the page kit (portal.web).
        "filters",
        "listing",
        "web",
        "templatetags",
        "management",
        "context_processors",
    }
)
WEB_SUFFIXES = ("_views", "_urls", "_forms", "_admin")
# The project's wiring, which imports everything by design.
WIRING = frozenset(
    {"portal.settings", "portal.urls", "portal.wsgi", "portal.asgi", "portal.celery"}
)


def is_web(module: str) -> bool:
    return any(part in WEB_PARTS or part.endswith(WEB_SUFFIXES) for part in module.split("."))


def is_domain(module: str) -> bool:
    parts = module.split(".")
    return not (
        is_web(module)
        or module in WIRING
        or "migrations" in parts
        # Demo data is loaded by the seed_demo command only.
        or parts[-1].startswith("demo")
    )


def test_no_domain_module_imports_the_web_layer_even_through_others():
    graph = grimp.build_graph(*APPS)
    domain = sorted(module for module in graph.modules if is_domain(module))

    # One chain per offending module, to the nearest web module it reaches.
    chains = []
    for module in domain:
        reached = [web for web in graph.find_upstream_modules(module) if is_web(web)]
        if reached:
            chain = min(
                (graph.find_shortest_chain(module, web) for web in reached),
                key=lambda chain: (len(chain), chain),
            )
            chains.append(" -> ".join(chain))

    assert len(domain) > 100
    assert chains == []


def test_the_classification_sees_both_layers():
    assert is_web("crm.api.channel_views")
    assert is_web("billing.commerce_views")
    assert is_web("portal.selfservice.forms")
    assert is_domain("billing.services")
    assert is_domain("crm.channel_selectors")
    assert not is_domain("portal.urls")
