"""Forms of the rapporteur workspace: the recommendations document and its recommendations.

They only read and check what the rapporteur typed; the rules of the document (who may
write, drafts only, edit conflicts) are ``sessions_app.recommendation_services``'s.
``DocumentForm`` carries the ``expected_version`` the editor was opened at, and
``RecommendationFormSet`` the recommendations: extra empty forms add some, the DELETE
checkbox removes one and the ``order`` field reorders them.
"""

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from sessions_app.models import MAX_NUMBER, KeyQuestion, Session
from sessions_app.recommendations import Recommendation, RecommendationsDocument

# Empty forms offered under the recommendations for new ones.
EXTRA_RECOMMENDATIONS = 3


LONG_TEXT = 20_000
"""Most characters of an introduction or conclusions (about eight printed pages)."""
SHORT_TEXT = 5_000
"""Most characters of one recommendation or of the contributors (about two printed pages)."""


class DocumentForm(forms.Form):
    """The document's texts and the version the rapporteur started from."""

    introduction = forms.CharField(
        label=_("Introduction"), required=False, max_length=LONG_TEXT, widget=forms.Textarea(attrs={"rows": 5})
    )
    conclusions = forms.CharField(
        label=_("Conclusions and recommendations for public policies"),
        required=False,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    contributors = forms.CharField(
        label=_("Contributors"),
        required=False,
        max_length=SHORT_TEXT,
        help_text=RecommendationsDocument._meta.get_field("contributors").help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    @classmethod
    def initial_for(cls, document: RecommendationsDocument) -> dict:
        """The initial values showing ``document`` as stored."""
        return {
            "introduction": document.introduction,
            "conclusions": document.conclusions,
            "contributors": document.contributors,
            "expected_version": document.version,
        }


class RecommendationForm(forms.Form):
    """One recommendation: filed under one of ``session``'s key questions or "General"."""

    key_question = forms.ModelChoiceField(
        label=_("Key question"), queryset=KeyQuestion.objects.none(), required=False, empty_label=_("General")
    )
    order = forms.IntegerField(
        label=_("Order"),
        required=False,
        min_value=1,
        max_value=MAX_NUMBER,
        help_text=_("Recommendations are numbered by this order; leave blank to add at the end."),
    )
    text = forms.CharField(label=_("Recommendation"), max_length=SHORT_TEXT, widget=forms.Textarea(attrs={"rows": 3}))
    level = forms.ChoiceField(label=_("Level"), choices=[("", _("Choose a level")), *Recommendation.Level.choices])
    actors = forms.CharField(
        label=_("Actors"),
        required=False,
        max_length=Recommendation._meta.get_field("actors").max_length,
        help_text=Recommendation._meta.get_field("actors").help_text,
    )

    def __init__(self, *args, session: Session, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key_question"].queryset = session.key_questions.order_by("order")

    @staticmethod
    def initial_for(recommendation: Recommendation) -> dict:
        """The initial values showing the stored ``recommendation``."""
        return {
            "key_question": recommendation.key_question_id,
            "order": recommendation.order,
            "text": recommendation.text,
            "level": recommendation.level,
            "actors": recommendation.actors,
        }


class BaseRecommendationFormSet(forms.BaseFormSet):
    """The recommendations of a document, in the order the rapporteur gave them."""

    def add_fields(self, form, index):
        """Label the DELETE checkbox for what it does."""
        super().add_fields(form, index)
        form.fields["DELETE"].label = _("Remove this recommendation")

    def ordered_values(self) -> list[dict]:
        """The kept recommendations of a valid formset as ``save_draft`` mappings, sorted by
        ``order`` (blank last), ties and blanks in the order of the page."""
        kept = [
            (position, form.cleaned_data)
            for position, form in enumerate(self.forms)
            if form.has_changed() or position < self.initial_form_count()
            if not form.cleaned_data.get("DELETE")
        ]
        kept.sort(key=lambda item: (item[1]["order"] is None, item[1]["order"] or 0, item[0]))
        return [{field: values[field] for field in ("key_question", "text", "level", "actors")} for _, values in kept]


RecommendationFormSet = formset_factory(
    RecommendationForm, formset=BaseRecommendationFormSet, extra=EXTRA_RECOMMENDATIONS, can_delete=True
)
