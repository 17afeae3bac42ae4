"""Company policies, loaded from ``data/policies/*.yaml`` into typed, validated objects.

Every fact the course teaches about the company's rules comes from here, so another company's
policy files change the course without editing a notebook::

    from course.policy import load_policies
    policies = load_policies()            # data/policies, or $COURSE_POLICY_DIR
    policies.privacy.audience("my_team").label

A file that is malformed or incomplete raises :class:`PolicyError`, whose message names the file,
the key and what was expected.
"""

from course.policy._channels import (
    Channel,
    ChannelPolicy,
    ChannelRule,
    Escalation,
    EscalationSign,
    EscalationStep,
    Persona,
)
from course.policy._completion import CompletionPolicy, DueRule, ModuleRule, Track
from course.policy._loader import (
    POLICY_DIR_ENV,
    PolicyError,
    PolicySet,
    default_policy_dir,
    load_policies,
    load_policy_file,
)
from course.policy._moderation import (
    CommentCategory,
    EscalationContact,
    HouseRule,
    ModerationPolicy,
    ResponseAction,
    ResponseTemplate,
    SiteNorms,
)
from course.policy._privacy import Audience, NeverPost, Platform, PrivacyPolicy, ProfileSetting
from course.policy._sensitive import SafePattern, SensitiveKind, SensitivePolicy, Severity
from course.policy._value import DoerHabit, ValueCategory, ValuePolicy
from course.policy._voice import AvoidRule, BrandVoicePolicy, RequiredElement, VoiceChannel

__all__ = [
    "POLICY_DIR_ENV",
    "Audience",
    "AvoidRule",
    "BrandVoicePolicy",
    "Channel",
    "ChannelPolicy",
    "ChannelRule",
    "CommentCategory",
    "CompletionPolicy",
    "DoerHabit",
    "DueRule",
    "Escalation",
    "EscalationContact",
    "EscalationSign",
    "EscalationStep",
    "HouseRule",
    "ModerationPolicy",
    "ModuleRule",
    "NeverPost",
    "Persona",
    "Platform",
    "PolicyError",
    "PolicySet",
    "PrivacyPolicy",
    "ProfileSetting",
    "RequiredElement",
    "ResponseAction",
    "ResponseTemplate",
    "SafePattern",
    "SensitiveKind",
    "SensitivePolicy",
    "Severity",
    "SiteNorms",
    "Track",
    "ValueCategory",
    "ValuePolicy",
    "VoiceChannel",
    "default_policy_dir",
    "load_policies",
    "load_policy_file",
]
