from django import template

from .. import selectors as sel

register = template.Library()


@register.inclusion_tag("assessment/_credit.html", takes_context=True)
def credit_panel(context, enterprise, site=None):
    """The credit grade of an enterprise (or a site), why, and its earlier grades — as this viewer may see them."""
    from ..credit import describe

    current, history, detailed = sel.rating_of(context["request"].user, enterprise, site)
    return {"current": current, "history": history, "site": site, "detailed": detailed,
            "reasons": [describe(line) for line in current.lines] if current and detailed else []}


@register.simple_tag(takes_context=True)
def may_see_rules(context, site) -> bool:
    return sel.may_see_rules(context["request"].user, site)
