"""Read a short follow-up question ("那预备期呢？", "这个要多久", "需要谁批准") with the
topic of the question answered just before it.

In a chat people do not repeat the subject: after "转正要走哪些手续" they ask "需要谁批准".
Alone, that matches every clause that mentions 批准. Read with the previous topic it is
"转正需要谁批准". Two shapes occur:

- the follow-up names no topic of its own (这个要多久 / 需要谁批准 / 那要几个人): the
  previous question's glossary concepts (转正, 预备党员…) are put in front of it;
- it names a new topic and keeps the previous question's aspect (那预备期呢 after
  党龄从哪天算): the new concept takes the old one's place in the previous question.

The caller decides whether there is a previous question (the bot keeps it per chat for
a few minutes) and shows the reading, so a wrong guess is visible and can be retyped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .glossary import Glossary
from .tokenize import normalize

# Openings that point back at what was just said.
BACK_REFERENCE = re.compile(r"^(?:那么?|那如果|那要是|这个|这种|这样|这|它|该|其|还有|另外|然后|那它)")
# A bare "…呢?" asks the previous question again about something else.
ASKS_AGAIN = re.compile(r"呢[?？。!！]*$")
_FILLER = re.compile(
    r"^(?:那么?|那如果|那要是|这个|这种|这样|这|它|该|其|还有|另外|然后|那它)|呢(?=[?？。!！]*$)|[?？。!！,，\s]"
)
# Words that ask *about* something (the aspect) rather than name it: a question made of
# nothing else has no topic of its own.
ASPECT = re.compile(
    r"需要|要求|要|谁来|谁|批准|审批|多久|多长时间|多长|几个人|几个|几天|几次|几年|几|怎么办|怎么|如何|咋"
    r"|可以|能不能|能|吗|在哪里|哪里|在哪|什么时候|啥时候|什么|啥|从哪天|哪天|开始|算起|算|的|是|有|走|哪些|办"
)


@dataclass(frozen=True)
class Reading:
    """How a follow-up was read: the question actually searched, and the topic taken
    from the previous question (shown to the asker)."""

    question: str
    topic: str


def read_follow_up(question: str, previous: str, glossary: Glossary) -> Reading | None:
    """The follow-up reading of ``question`` after ``previous``, or None when the
    question stands on its own (names its topic and does not point back)."""
    text = normalize(question).strip()
    prev = normalize(previous).strip()
    if not text or not prev or text == prev:
        return None
    points_back = bool(BACK_REFERENCE.match(text)) or bool(ASKS_AGAIN.search(text))
    content = _FILLER.sub("", text)
    own = ASPECT.sub("", content)
    prev_topic = _topic(prev, glossary)
    if not prev_topic:
        return None
    if len(own) >= 2:
        # Names a topic of its own: only "那X呢" borrows the previous question's aspect.
        if not points_back or len(own) != len(content):
            return None
        aspect = _FILLER.sub("", prev.replace(prev_topic, "", 1))
        return Reading(content + aspect, aspect) if aspect else None
    return Reading(prev_topic + content, prev_topic)


def _topic(question: str, glossary: Glossary) -> str:
    """What a question is about: its glossary concepts, else its words minus the aspect."""
    found = [m.surface for m in glossary.find(question)]
    if found:
        return found[0] if len(found) == 1 else "".join(dict.fromkeys(found))
    return ASPECT.sub("", _FILLER.sub("", question))
