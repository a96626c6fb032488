"""The knowledge base and canned answers.

They live in crm because they serve every contact channel (the portal's help pages, chat
answers, the desk's scripts on the phone), which are crm interactions; a ticket links an
article through a crm row (``TicketArticle``), the way chats and mails already point at the
tickets they open.

Search must find Chinese words, and neither SQLite nor PostgreSQL's default text search splits
Chinese into words. So a query is cut into terms: Latin words as they are, runs of Chinese
characters into overlapping character pairs (宽带无法上网 → 宽带, 带无, 无法, 法上, 上网).
An article matches when its text (title, keywords, body, English text; kept lower-case in
``search_text``) contains at least a third of the terms, and ranks by how many it contains, title
hits counting double. The same SQL (``LIKE``) runs on both databases; a help centre of a few
thousand articles needs no index beyond that.
"""

import math
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _

from crm.channel_choices import ArticleAudience
from crm.channel_models import (
    CJK,
    ArticleFeedback,
    CannedAnswer,
    KnowledgeArticle,
    TicketArticle,
    searchable_text,
)
from portal.roles import STAFF_ROLES

MAX_TERMS = 16
TOKENS = re.compile(rf"[{CJK}]+|[0-9a-z]+")
CJK_RUN = re.compile(rf"^[{CJK}]+$")


def search_terms(query: str) -> list[str]:
    """Latin words and Chinese character pairs of a query, in order, without repeats."""
    terms: list[str] = []
    for token in TOKENS.findall(searchable_text(query or "")):
        if CJK_RUN.match(token):
            pieces = (
                [token] if len(token) == 1 else [token[i : i + 2] for i in range(len(token) - 1)]
            )
        else:
            pieces = [token] if len(token) > 1 or token.isdigit() else []
        terms.extend(piece for piece in pieces if piece not in terms)
    return terms[:MAX_TERMS]


def published_articles(*, staff: bool = False) -> QuerySet[KnowledgeArticle]:
    """Customers read public articles; staff read every published one."""
    articles = KnowledgeArticle.objects.filter(is_published=True)
    if not staff:
        articles = articles.filter(audience=ArticleAudience.PUBLIC)
    return articles


def search_articles(
    query: str, *, staff: bool = False, category: str | None = None
) -> QuerySet[KnowledgeArticle]:
    """Articles matching at least a third of the query's terms, best first (one query)."""
    articles = published_articles(staff=staff)
    if category:
        articles = articles.filter(category=category)
    terms = search_terms(query)
    if not terms:
        return articles.none()
    body_hits = sum(
        (Case(When(search_text__contains=term, then=Value(1)), default=Value(0)) for term in terms),
        start=Value(0),
    )
    title_hits = sum(
        (
            Case(
                When(Q(title__icontains=term) | Q(title_en__icontains=term), then=Value(1)),
                default=Value(0),
            )
            for term in terms
        ),
        start=Value(0),
    )
    needed = max(1, math.ceil(len(terms) / 3))
    return (
        articles.annotate(
            hits=body_hits,
            score=(body_hits + title_hits),
        )
        .filter(hits__gte=needed)
        .order_by("-score", "title", "pk")
    )


@transaction.atomic
def record_feedback(
    article: KnowledgeArticle, *, helpful: bool, comment: str = "", user=None
) -> ArticleFeedback:
    """A "was this helpful?" answer; the article's counter moves with it (no lost updates)."""
    counter = "helpful_count" if helpful else "not_helpful_count"
    KnowledgeArticle.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    return ArticleFeedback.objects.create(
        article=article,
        helpful=bool(helpful),
        comment=(comment or "").strip()[:500],
        user=user if user is not None and user.is_authenticated else None,
    )


def article_url(article: KnowledgeArticle) -> str:
    return settings.SITE_URL + reverse("crm-channels:help-article", args=[article.slug])


def require_customer_article(article: KnowledgeArticle) -> None:
    """Only a published public article may reach a customer (in a chat or on a ticket)."""
    if article.audience != ArticleAudience.PUBLIC or not article.is_published:
        raise ValidationError(
            {
                "article": ValidationError(
                    _("Only published public articles can be given."), "invalid"
                )
            }
        )


@transaction.atomic
def link_article_to_ticket(ticket, article: KnowledgeArticle, *, actor) -> TicketArticle:
    """Give the customer an article as part of a ticket's answer: a link row, and a note the
    customer sees (and is texted) with the article's address. Linking twice changes nothing."""
    from complaints.choices import NoteVisibility
    from complaints.services import add_note

    require_customer_article(article)
    try:
        with transaction.atomic():
            link = TicketArticle.objects.create(ticket=ticket, article=article, linked_by=actor)
    except IntegrityError:
        return TicketArticle.objects.get(ticket=ticket, article=article)
    add_note(
        ticket,
        author=actor,
        body=_("Help article: %(title)s %(url)s")
        % {"title": article.title, "url": article_url(article)},
        visibility=NoteVisibility.CUSTOMER,
    )
    return link


def canned_answers_for(user) -> QuerySet[CannedAnswer]:
    """Active canned answers for the user's roles and the queues they work (empty = all)."""
    from complaints.permissions import queues_of

    roles = [role.value for role in STAFF_ROLES if role in user.roles]
    return (
        CannedAnswer.objects.filter(is_active=True)
        .filter(Q(role="") | Q(role__in=roles))
        .filter(Q(queue="") | Q(queue__in=list(queues_of(user))))
        .select_related("article")
        .order_by("position", "title", "pk")
    )
