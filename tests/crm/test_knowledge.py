"""The knowledge base: search that finds Chinese words, feedback, canned answers by role and
queue, articles given on a ticket."""

import pytest

from complaints.choices import NoteVisibility
from crm.channel_choices import ArticleAudience, ArticleCategory
from crm.channel_models import ArticleFeedback, CannedAnswer, KnowledgeArticle, TicketArticle
from crm.knowledge import (
    canned_answers_for,
    link_article_to_ticket,
    record_feedback,
    search_articles,
    search_terms,
)
from portal.roles import Role
from tests.complaints.factories import make_ticket


def slugs(articles) -> list[str]:
    return [article.slug for article in articles]


def test_chinese_text_is_cut_into_character_pairs():
    assert search_terms("宽带 无法上网 WiFi") == ["宽带", "无法", "法上", "上网", "wifi"]
    assert search_terms("诈") == ["诈"]
    assert search_terms("  ") == []


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("宽带无法上网", "broadband-no-connection"),
        ("宽带上不了网", "broadband-no-connection"),
        ("有人冒充客服要验证码", "beware-of-telecom-fraud"),
        ("查话费余额", "check-balance-and-bills"),
        ("流量用完了", "data-cut-off"),
        ("固话没有拨号音", "fixed-line-no-dial-tone"),
        ("broadband", "broadband-no-connection"),
    ],
)
def test_search_finds_chinese_keywords(db, query, first):
    found = slugs(search_articles(query))

    assert found[0] == first


def test_search_finds_nothing_for_unrelated_words(db):
    assert slugs(search_articles("天气预报")) == []


def test_staff_articles_are_found_by_staff_only(db):
    assert "desk-caller-verification" not in slugs(search_articles("身份核实"))
    assert slugs(search_articles("身份核实", staff=True))[0] == "desk-caller-verification"


def test_search_within_a_category_and_an_edited_article_is_found(db):
    article = KnowledgeArticle.objects.create(
        slug="roaming",
        category=ArticleCategory.DATA,
        title="出境漫游如何开通",
        body="出国前请开通国际漫游。",
        keywords="漫游 出国",
    )
    article.title = "国际漫游如何开通"
    article.save(update_fields=["title"])

    assert slugs(search_articles("国际漫游", category=ArticleCategory.DATA)) == ["roaming"]
    assert slugs(search_articles("国际漫游", category=ArticleCategory.BILLING)) == []


def test_feedback_counts_without_losing_updates(db):
    article = KnowledgeArticle.objects.get(slug="data-cut-off")

    record_feedback(article, helpful=True)
    record_feedback(article, helpful=True)
    record_feedback(article, helpful=False, comment="没说怎么恢复")

    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (2, 1)
    assert ArticleFeedback.objects.filter(article=article, helpful=False).get().comment == (
        "没说怎么恢复"
    )


def test_canned_answers_follow_role_and_queue(personas):
    specialist = personas[Role.SERVICE_SPECIALIST]
    engineer = personas[Role.TECH_SUPPORT]
    broadband = "宽带故障排查"

    assert broadband not in [answer.title for answer in canned_answers_for(specialist)]
    assert broadband in [answer.title for answer in canned_answers_for(engineer)]
    assert [answer.title for answer in canned_answers_for(specialist)] == [
        "问候语",
        "身份核实",
        "防诈骗提醒",
        "结束语",
    ]
    CannedAnswer.objects.filter(title="问候语").update(is_active=False)
    assert "问候语" not in [answer.title for answer in canned_answers_for(specialist)]


def test_an_article_given_on_a_ticket_is_a_customer_note_once(personas):
    specialist = personas[Role.SERVICE_SPECIALIST]
    ticket = make_ticket(specialist)
    article = KnowledgeArticle.objects.get(slug="broadband-no-connection")

    link = link_article_to_ticket(ticket, article, actor=specialist)
    again = link_article_to_ticket(ticket, article, actor=specialist)

    note = ticket.notes.get()
    assert (link.pk, TicketArticle.objects.count()) == (again.pk, 1)
    assert note.visibility == NoteVisibility.CUSTOMER
    assert "/help/broadband-no-connection/" in note.body


def test_staff_articles_are_not_given_to_customers(personas):
    from django.core.exceptions import ValidationError

    staff_only = KnowledgeArticle.objects.get(audience=ArticleAudience.STAFF)
    with pytest.raises(ValidationError):
        link_article_to_ticket(
            make_ticket(personas[Role.SERVICE_SPECIALIST]),
            staff_only,
            actor=personas[Role.SERVICE_SPECIALIST],
        )
