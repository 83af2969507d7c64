"""Words and phrases from which the synthetic transcripts and documents are built.

Every person, institution, address and number here is invented. Templates carry
slots that the generator fills: ``{person}`` (a titled full name), ``{first}`` (a
first name alone), ``{inst}`` (a school, hospital or clinic), ``{email}``,
``{phone}``, ``{url}`` and ``{handle}``. Each filled slot is recorded as a planted
identifier, so that de-identification can be scored against the truth.
"""

from __future__ import annotations

import re

from .codetext import PII_ON_TOPIC, SAID, TOPICS, WRITTEN

CODEBOOK: list[dict] = [
    {
        "id": "motivations",
        "label": "Motivations for engagement",
        "description": "Why learners take up anti-racist activism.",
        "codes": [
            {
                "id": "personal_discrimination",
                "label": "Personal experience of discrimination",
                "definition": "The speaker describes racism or discrimination they, their family or their "
                "patients met, and links it to their own engagement.",
                "include": "First-hand or witnessed incidents in training, clinics or daily life.",
                "exclude": "Abstract statements about injustice with no experience behind them (social_justice).",
            },
            {
                "id": "social_justice",
                "label": "Commitment to social justice",
                "definition": "Engagement explained by values: equity, fairness, the duty of doctors towards "
                "marginalised communities.",
                "exclude": "Accounts grounded in a specific incident the speaker lived through (personal_discrimination).",
            },
        ],
    },
    {
        "id": "strategies",
        "label": "Strategies of activism",
        "description": "What learners do to bring about change.",
        "codes": [
            {
                "id": "curriculum_advocacy",
                "label": "Curriculum advocacy",
                "definition": "Efforts to change what or how medical students are taught about race, racism and "
                "the social determinants of health.",
            },
            {
                "id": "community_outreach",
                "label": "Community outreach",
                "definition": "Work with or for communities outside the institution: clinics, schools, "
                "neighbourhood groups, public health campaigns.",
            },
            {
                "id": "institutional_collaboration",
                "label": "Collaboration with institutional stakeholders",
                "definition": "Working with faculty, deans, administrators or hospital managers to change policy "
                "or practice from the inside.",
                "exclude": "Formal diversity or equity committees (equity_committees).",
            },
            {
                "id": "petitions_town_halls",
                "label": "Petitions and town halls",
                "definition": "Collective public pressure: petitions, open letters, town-hall meetings, "
                "campaigns on social media.",
            },
            {
                "id": "equity_committees",
                "label": "Equity committees",
                "definition": "Setting up, joining or working through diversity, equity and inclusion committees.",
            },
            {
                "id": "health_fairs",
                "label": "Health fairs",
                "definition": "Organising or staffing health fairs, screening days or similar community events.",
            },
        ],
    },
    {
        "id": "challenges",
        "label": "Challenges and needs",
        "description": "What stands in the way, and what learners say they need.",
        "codes": [
            {
                "id": "resistance_traditional_structures",
                "label": "Resistance from traditional structures",
                "definition": "Pushback, indifference or obstruction from established institutions, norms or "
                "senior staff.",
            },
            {
                "id": "hierarchy",
                "label": "Hierarchy",
                "definition": "The steep hierarchy of medicine: fear of speaking up to seniors, assessment "
                "power, learners' low standing.",
                "exclude": "Institutional pushback that is not about rank (resistance_traditional_structures).",
            },
            {
                "id": "mentorship_support_needs",
                "label": "Need for mentorship and ongoing support",
                "definition": "Learners ask for mentors, protected time, funding or sustained institutional backing.",
            },
        ],
    },
    {
        "id": "empowerment",
        "label": "Learners leading change",
        "description": "How activism turns learners into leaders.",
        "codes": [
            {
                "id": "leadership_development",
                "label": "Leadership development",
                "definition": "The speaker describes taking on, growing into or being recognised in a leadership "
                "role in a social-change effort.",
            },
        ],
    },
]

CODES = [c["id"] for t in CODEBOOK for c in t["codes"]]
THEME_OF = {c["id"]: t["id"] for t in CODEBOOK for c in t["codes"]}

# Codes that coders plausibly confuse with one another.
CONFUSABLE = {
    "personal_discrimination": "social_justice",
    "social_justice": "personal_discrimination",
    "petitions_town_halls": "curriculum_advocacy",
    "equity_committees": "institutional_collaboration",
    "institutional_collaboration": "equity_committees",
    "health_fairs": "community_outreach",
    "community_outreach": "health_fairs",
    "hierarchy": "resistance_traditional_structures",
    "resistance_traditional_structures": "hierarchy",
    "mentorship_support_needs": "resistance_traditional_structures",
    "leadership_development": "institutional_collaboration",
}

# Per-code chance that a coder misses a code that applies, and the chance per unit
# of applying it where it does not: tuned so that agreement ranges from fair to
# excellent, as it does in real coding teams.
CODER_ERRORS = {
    "personal_discrimination": (0.07, 0.004),
    "social_justice": (0.26, 0.012),
    "curriculum_advocacy": (0.05, 0.002),
    "community_outreach": (0.10, 0.005),
    "institutional_collaboration": (0.24, 0.012),
    "petitions_town_halls": (0.07, 0.003),
    "equity_committees": (0.08, 0.004),
    "health_fairs": (0.06, 0.003),
    "resistance_traditional_structures": (0.24, 0.010),
    "hierarchy": (0.12, 0.005),
    "mentorship_support_needs": (0.12, 0.006),
    "leadership_development": (0.14, 0.006),
}

# The code sentences of earlier versions. The generator still draws one of them per code
# (so that its random stream, and with it every coding, stays the same), but only to learn
# which identifier slots the sentence it writes instead (from :mod:`.codetext`) carries.
SENTENCES = {
    "personal_discrimination": [
        "In my second year a consultant asked me where I was really from in front of the whole ward round, and that stayed with me.",
        "My mother was sent home twice from {inst} before anyone took her pain seriously, and I think about that every time I see a patient who looks like her.",
        "I have been called names on placement, more than once, and the staff nurse just looked away.",
        "When {person} told me my accent would hold me back in surgery, I started keeping notes of every comment like that.",
        "Honestly it started with what happened to my cousin at {inst}; nobody explained anything to the family.",
        "A patient refused to let me examine him because of my skin colour and the team treated it as a joke.",
        "Seeing how the registrar spoke to a Black family in clinic, compared with everyone else that morning, was the turning point for me.",
        "I was the only one in my cohort stopped by security at the library, twice in one week.",
    ],
    "social_justice": [
        "For me it is simple: health care that is not fair to everyone is not good health care.",
        "I came into medicine because I believe access to care should not depend on where you were born.",
        "We keep talking about equity in lectures, and I felt I had to act on it rather than just write it in essays.",
        "Doctors have a duty to the communities that are always left at the back of the queue.",
        "It is about justice, really; the data on outcomes by ethnicity are shocking once you look at them.",
        "I see anti-racism as part of professionalism, not something extra we do on weekends.",
        "If we are serious about serving patients, we cannot ignore the structures that make some of them sicker.",
    ],
    "curriculum_advocacy": [
        "We went through every lecture slide on skin conditions and found almost no images of darker skin, so we wrote to the module lead.",
        "Our group drafted a teaching session on race-based eGFR and why it was dropped, and it is now part of the renal block.",
        "I spent most of last year pushing for a structural determinants of health thread in the first-year curriculum.",
        "We asked that case vignettes stop using ethnicity as a shortcut for diagnosis, and gave them a list of the worst examples.",
        "The curriculum review at {inst} finally accepted our proposal for a session on the history of racism in medicine.",
        "Students rewrote three problem-based learning cases so that the social context was part of the clinical reasoning.",
        "We mapped where race appeared in the syllabus and presented the gaps to the education committee.",
    ],
    "community_outreach": [
        "On Saturdays we ran blood pressure checks at the community centre near the mosque, with translators from the neighbourhood.",
        "We partnered with a tenants' association to explain how to register with a GP.",
        "A few of us volunteer with the refugee clinic, mostly listening and helping with forms.",
        "Going into schools to talk about becoming a doctor was our way of showing kids that people like them belong in medicine.",
        "The outreach project with {inst} brought vaccination information to families who had never been asked what they needed.",
        "We organised a public health campaign on diabetes with local shopkeepers, in three languages.",
        "Working with community organisations taught me more about barriers to care than any lecture did.",
    ],
    "institutional_collaboration": [
        "We met the associate dean every month and brought concrete proposals, not just complaints.",
        "Getting the hospital management at {inst} on board took a year of meetings, but the interpreter policy changed.",
        "{person} from the dean's office helped us understand which forms and committees actually decide things.",
        "We worked with the admissions office to review how interview panels are trained.",
        "Faculty allies co-wrote the proposal with us, which made it much harder to ignore.",
        "The trick was to find the person in administration who already cared and work through them.",
    ],
    "petitions_town_halls": [
        "The petition got more than six hundred signatures in a week, and that is what got us the meeting.",
        "We organised a town hall where students told their stories and the leadership had to sit and listen.",
        "Our open letter about the exam question on ethnicity circulated on every year group's chat.",
        "We used the town hall to ask directly why the incident reporting system never led to anything.",
        "Signing and sharing the petition was the first time many classmates did anything political.",
        "After the town hall the school published a response, which was more than we expected.",
    ],
    "equity_committees": [
        "I sit on the equity, diversity and inclusion committee as the student representative.",
        "We pushed for the diversity committee to include learners with a vote, not just observers.",
        "The equity committee now reviews every new teaching module before it goes live.",
        "Setting up the anti-racism working group was slow, but it has a budget and terms of reference now.",
        "Through the inclusion committee we got the faculty hiring guidance rewritten.",
        "The committee meets every six weeks and minutes go to the whole school.",
    ],
    "health_fairs": [
        "The health fair in the market square screened more than two hundred people for hypertension.",
        "We ran the glucose testing stall at the spring health fair and referred a dozen people on.",
        "Planning the health fair meant finding volunteers who spoke Urdu, Punjabi and Pashto.",
        "At the last health fair, {person} from {inst} lent us equipment and supervised the students.",
        "Our health fair included a stand on how to make a complaint about discrimination in care.",
        "The health fairs are where people actually talk to us, outside the hospital walls.",
    ],
    "resistance_traditional_structures": [
        "Some senior staff told us that race is not a medical topic and we should focus on exams.",
        "Every proposal went back and forth for months; the answer was never no, just not yet.",
        "The old guard see this as politics and they say so openly.",
        "We were told the curriculum is full and nothing can be added without something else being removed.",
        "When we raised the incident, the response was to question whether it had really happened.",
        "Institutional memory is short; every year we start again with a new committee that has never heard of us.",
        "The school was happy to post statements online, but less happy to change anything.",
    ],
    "hierarchy": [
        "As a student you cannot really correct a consultant on the ward, even when you know they are wrong.",
        "People were scared that speaking up would affect their placement grades.",
        "Medicine is so hierarchical that a second-year raising racism feels like breaking a rule.",
        "I only said something once I had qualified, because before that my signature was worth nothing.",
        "Juniors stay quiet because the person who made the comment is the one who signs off their competencies.",
        "You learn quickly who you can talk to and who will remember it at your assessment.",
    ],
    "mentorship_support_needs": [
        "What we need most is a mentor who has done this before and can tell us which battles to choose.",
        "None of this is protected time; we do it at night after clinical work.",
        "Without someone senior backing us, the work disappears when we graduate.",
        "I would have burnt out without {person}, who checked in on us every few weeks.",
        "We asked for a small budget and a faculty lead, and we are still waiting.",
        "Support has to be ongoing, not a one-off workshop and a certificate.",
        "Students doing this work need the same recognition as research or audit.",
    ],
    "leadership_development": [
        "I never saw myself as a leader, but chairing the working group changed that.",
        "Running the campaign taught me how to negotiate, delegate and keep people going.",
        "Now younger students come to me for advice on how to start their own projects.",
        "I was elected to lead the student society's advocacy arm this year.",
        "Leading the health fair team gave me confidence I now use on the wards.",
        "I am the one who presents our proposals to the faculty board now.",
        "The intervention sessions gave me the words and the structure to lead, not just take part.",
    ],
}

# Sentences that carry no code. The generator draws from FILLERS and PII_SENTENCES as
# before (so that its random stream, and with it every coding, stays the same), but the
# words it writes come from :func:`filler` and :func:`pii_sentence`, which never give
# the same sentence twice in one data set: the n-th filler is the n-th of FILLER_BODIES,
# then each body again behind an opening, then with a closing clause.
FILLERS = [
    "I am not sure that is the whole story, though.",
    "It has been a busy year in general.",
    "That was during the winter term.",
    "Some of my friends felt differently about it.",
    "I suppose we are still learning as we go.",
    "It is hard to describe in a few words.",
    "We talk about it a lot in our year group.",
    "Anyway, that is how it went.",
]

FILLER_BODIES = [
    "I am not sure that is the whole story, though.",
    "It has been a busy year in general.",
    "That was during the winter term.",
    "Some of my friends felt differently about it.",
    "I suppose we are still learning as we go.",
    "It is hard to describe in a few words.",
    "We talk about it a lot in our year group.",
    "Anyway, that is how it went.",
    "I only really understood it after the exams were over.",
    "My parents still ask me why I bother.",
    "It took me a while to find the right words for it.",
    "Most of that happened over the long summer break.",
    "I keep coming back to that conversation.",
    "There were good weeks and bad weeks, like anything.",
    "The timing was awful, right before finals.",
    "I wrote most of it down in a notebook at the time.",
    "Our cohort is small, so everybody hears about everything.",
    "It felt bigger then than it does now.",
    "I had not planned to say any of this today.",
    "Nobody warned us how tiring it would be.",
    "It was raining the whole week, which did not help.",
    "Half of it I only pieced together afterwards.",
    "I think my flatmate remembers it better than I do.",
    "We were all running on very little sleep.",
    "It is funny how some details stay with you.",
    "I would probably tell it differently next year.",
    "That was the same month I moved house.",
    "I was quite naive about it at the start.",
    "It still surprises me when I think about it.",
    "I was on nights for most of that rotation.",
    "My sister thinks I take too much on.",
    "The library was our second home that spring.",
    "I am still not sure what I would change.",
    "It was a strange time for everyone in our year.",
    "I talked it through with my housemates over dinner.",
    "We kept a shared document going the whole time.",
    "Some weeks it was all I could think about.",
    "I was commuting a long way every day back then.",
    "It sounds small when I say it out loud.",
    "I have told this story a few times now.",
    "The group chat was busy that evening.",
    "Part of me wanted to stay out of it.",
    "It was my first year away from home.",
    "Things moved faster than any of us expected.",
    "I remember the corridor being completely silent.",
    "Exams were never far from anyone's mind.",
    "I only half understood it at the beginning.",
    "That term felt twice as long as the others.",
    "We laughed about it later, mostly out of relief.",
    "It was the kind of week you do not forget.",
    "I was also working weekends in a café around then.",
    "Everyone had an opinion and most of them were loud.",
    "I kept my head down for the first few months.",
    "My tutor group met on the same afternoon each week.",
    "The canteen was where most of those conversations happened.",
    "I was quieter then than I am now.",
    "It all happened in the space of a fortnight.",
    "Honestly, I am still processing some of it.",
    "I would not have predicted any of it in first year.",
    "People still bring it up when we meet up now.",
    "I was living out of a suitcase for most of that placement.",
    "It was the first time I had spoken about it properly.",
    "There is probably a better way to put it.",
    "I remember the date because it was my birthday.",
    "I went home that weekend just to get some distance.",
    "We were too busy to think much about it then.",
    "It took a few weeks before any of us talked about it.",
    "I was not the only one who felt that way, I think.",
    "The whole year seemed to know within a day.",
    "I still have the messages from that week somewhere.",
    "It is one of those things you replay in the shower.",
    "My housemate says I went quiet for a while after.",
    "I had no idea what I was getting into at the start.",
    "There was a lot of coffee and not much sleep.",
    "I could not tell you exactly when it started.",
    "That autumn went by in a blur.",
    "It felt like a lot to carry in first year.",
    "I keep a folder of everything from that time.",
    "I am better at talking about it now than I was.",
    "The lecture theatre emptied out fast that afternoon.",
    "We were all new to the hospital back then.",
    "It was my grandmother who asked the hardest questions.",
    "I nearly dropped out that spring, for other reasons.",
    "I was working nights at a supermarket to cover rent.",
    "Some of it I would rather not go into.",
    "My old school friends did not really get it.",
    "It did change how I saw the next few years.",
    "The weather was miserable, which seemed fitting.",
    "I remember feeling very young at the time.",
    "It still comes up in conversation every so often.",
    "Our year had a lot going on besides this.",
    "I had just switched to a new study group.",
    "I kept thinking someone else would sort it out.",
    "It was exhausting in a way I did not expect.",
    "I wish someone had told me what it would involve.",
    "Those first few weeks are a bit of a haze.",
    "My parents were worried I was taking on too much.",
    "Even now I am not sure I got it right.",
    "I suppose it made me grow up a bit.",
    "I was juggling it with revision for the spring exams.",
    "We ate a lot of takeaway that term.",
    "I only realised how much it mattered much later.",
    "I used to talk it over with my brother on the phone.",
    "It was not the year I had planned.",
    "I can laugh about some of it now.",
    "I was still finding my feet at the time.",
    "It is strange to hear myself say it.",
    "Other people probably remember it differently.",
    "I am glad I kept going with it.",
    "It was a long walk home that night.",
    "I had a lot of doubts at the beginning.",
]
FILLER_OPENINGS = [
    "Thinking about it now, ",
    "To be honest, ",
    "In fairness, ",
    "If I am truthful, ",
    "In any case, ",
    "For what it is worth, ",
    "Either way, ",
    "As I remember it, ",
    "Between us, ",
    "Then again, ",
    "Mind you, ",
]
FILLER_CLOSINGS = [", as far as I can tell", ", if that makes sense", ", for me at least", ", more or less"]


def _compose(bodies: list[str], n: int, offset: int = 0) -> str:
    """The n-th sentence (from 0) of a bank: first the bodies as they are; then each body
    behind an opening, body and opening both changing from one sentence to the next
    (the pair is the n-th of the Chinese remainder theorem's bijection, so every pair
    comes once when the number of bodies and of openings share no factor); then each
    body with a closing clause. Then each opened body with a closing
    clause as well. Distinct for every n below ``len(bodies) * (1 + len(FILLER_OPENINGS)) *
    (1 + len(FILLER_CLOSINGS))``. ``offset`` rotates the
    openings, so that different banks do not open alike."""
    import math

    b, o = len(bodies), len(FILLER_OPENINGS)
    if math.gcd(b, o) != 1:
        raise ValueError(f"a bank of {b} sentences shares a factor with the {o} openings: add or drop one")
    n %= b * (1 + o) * (1 + len(FILLER_CLOSINGS))  # past the capacity (--scale): the sequence again
    if n < b:
        return bodies[n]
    k = n - b
    if k < b * o:
        text = bodies[k % b]
        first = text.split(" ", 1)[0]
        if first not in ("I", "I'm") and not first.startswith(("{", "I'")):
            text = text[:1].lower() + text[1:]
        return FILLER_OPENINGS[(k + offset) % o] + text
    k -= b * o
    if k < b * len(FILLER_CLOSINGS):
        text = bodies[k % b]
        return text[:-1] + FILLER_CLOSINGS[k // b] + "."
    k -= b * len(FILLER_CLOSINGS)
    if k >= b * o * len(FILLER_CLOSINGS):
        raise AssertionError(f"sentence {n} past the capacity it was reduced below")
    opened = _compose(bodies, b + k % (b * o))  # an opening and a body, as above
    return opened[:-1] + FILLER_CLOSINGS[k // (b * o)] + "."


def filler(n: int) -> str:
    """The n-th filler sentence of a data set (from 0): never the same sentence twice."""
    return _compose(FILLER_BODIES, n)


PII_SENTENCES = [
    "You can reach {person} at {email} if you want the details.",
    "The coordinator's number was {phone}, and she answered at any hour.",
    "We met at {inst} most weeks, in the seminar room on the second floor.",
    "{first} from my year kept all the notes.",
    "Our group's page is {url} and we post as {handle}.",
    "{person} was the consultant on that firm.",
    "Call {phone} or write to {email} to join.",
]

# Wordings of each PII sentence with the same slots in the same order (the generator
# fills them with the same random draws): PII_VARIANTS[i] rewrites PII_SENTENCES[i].
PII_VARIANTS = [
    [
        "You can reach {person} at {email} if you want the details.",
        "Anyone curious can write to {person} at {email} for the background.",
        "Ask {person} at {email} and you will get the whole file.",
        "The contact for all of this was {person}, on {email}.",
        "If you need the paperwork, {person} still answers at {email}.",
    ],
    [
        "The coordinator's number was {phone}, and she answered at any hour.",
        "We had a shared phone on {phone} that somebody always picked up.",
        "The helpline we set up was {phone}, staffed by volunteers in the evenings.",
        "Anyone stuck could ring {phone} and get a student on the line.",
        "The number on our flyers was {phone}, which went to the society's mobile.",
    ],
    [
        "We met at {inst} most weeks, in the seminar room on the second floor.",
        "Our meetings moved to {inst} once the first room became too small.",
        "Most of the planning happened at {inst}, late in the evening.",
        "The first session was held at {inst}, in a borrowed lecture theatre.",
        "We used a side room at {inst} whenever it was free.",
    ],
    [
        "{first} from my year kept all the notes.",
        "{first} was the one who remembered every deadline.",
        "{first} from the year above lent us their old slides.",
        "{first} drafted most of the emails for us.",
        "{first} kept the spreadsheet of who had volunteered for what.",
    ],
    [
        "Our group's page is {url} and we post as {handle}.",
        "Everything is written up at {url}, and updates go out from {handle}.",
        "The statement lives on {url}, and we share news through {handle}.",
        "We keep the minutes on {url} and announce meetings as {handle}.",
        "The sign-up form is on {url}, and {handle} posts the reminders.",
    ],
    [
        "{person} was the consultant on that firm.",
        "{person} supervised us on that placement.",
        "The lead on that ward round was {person}.",
        "{person} ran the clinic we were attached to.",
        "Our educational supervisor that year was {person}.",
    ],
    [
        "Call {phone} or write to {email} to join.",
        "New members can ring {phone} or email {email}.",
        "To get involved, phone {phone} or drop a line to {email}.",
        "The quickest way in is {phone}, or {email} if you prefer writing.",
        "Ring {phone} in the evenings, or use {email} any time.",
    ],
]


def pii_sentence(template: str, n: int) -> str:
    """The n-th use (from 0) in a data set of the PII sentence ``template`` (one of
    PII_SENTENCES), reworded so that no use repeats another: the same slots in the
    same order."""
    index = PII_SENTENCES.index(template)
    return _compose(PII_VARIANTS[index], n, offset=3 * index + 1)


QUESTIONS = [
    "Can you tell me how you first got involved?",
    "What made you decide to act rather than stay out of it?",
    "What kinds of activities have you been part of?",
    "How did the school respond?",
    "What got in the way?",
    "What support did you have, or wish you had?",
    "Has your role changed over time?",
    "Is there anything you would do differently?",
    "How did the others in the group react to that?",
    "What would you tell a first-year student who wants to start?",
]

GROUP_PROMPTS = [
    "Let's start with what brought each of you to this work.",
    "What have your groups actually done this year?",
    "Where did you meet resistance?",
    "What would make this sustainable after you graduate?",
    "Who has taken on a leading role, and what was that like?",
]

# The frame of each document (its title, first and last paragraphs, never coded): the
# k-th document of a genre takes the k-th frame of its genre (from the first again past
# the last), so that no two documents of a data set at scale 1 open or close alike.
DOCUMENT_FRAMES = {
    "petition": [
        (
            "Petition",
            [
                "We, the undersigned students, ask the school to act on the following.",
                "Signatures are collected until the end of term.",
            ],
        ),
        (
            "Petition",
            [
                "This petition is addressed to the dean and the school's board.",
                "The petition will be delivered to the dean at the last board meeting of the year.",
            ],
        ),
        (
            "Petition",
            [
                "Students of every year have signed this request to the school.",
                "Sign with your university e-mail so that each name can be counted once.",
            ],
        ),
        (
            "Petition",
            ["We write as medical students who want a fairer school.", "Please add your name and pass the link on."],
        ),
        (
            "Petition",
            [
                "The following requests are made on behalf of learners across the school.",
                "The organisers will publish the school's reply beside the signatures.",
            ],
        ),
    ],
    "social_media": [
        ("Post", ["Thread, please share.", "Link in bio for the full statement."]),
        ("Post", ["A few thoughts from our group this week.", "Comments are open, and we read every one."]),
        ("Post", ["Long post, but it matters.", "Share it with anyone who needs to hear it."]),
        ("Post", ["Something we have wanted to say for a while.", "More on our page soon."]),
        ("Post", ["An update from the society.", "Message us if you want to get involved."]),
    ],
    "committee_minutes": [
        (
            "Minutes",
            [
                "Minutes of the meeting; apologies were received from two members.",
                "Actions to be reviewed at the next meeting.",
            ],
        ),
        (
            "Minutes",
            [
                "Minutes of the spring meeting; enough members were present to take decisions.",
                "The chair closed the meeting on time.",
            ],
        ),
        (
            "Minutes",
            [
                "Notes of the extraordinary meeting called by the student members.",
                "Date of the next meeting to be circulated by the secretary.",
            ],
        ),
        (
            "Minutes",
            ["Minutes of the termly meeting; the previous minutes were approved.", "No other business was raised."],
        ),
        (
            "Minutes",
            ["Record of the working group's meeting.", "Papers for the next meeting are due a week before it."],
        ),
    ],
    "curriculum": [
        (
            "Proposal",
            ["Proposal submitted to the curriculum committee.", "Learning outcomes are listed in the appendix."],
        ),
        (
            "Proposal",
            ["Proposal to the year leads from the student curriculum group.", "Costs are set out in a separate note."],
        ),
        (
            "Proposal",
            [
                "A request for changes to the teaching of the first two years.",
                "The group will attend the review meeting to answer questions.",
            ],
        ),
        (
            "Proposal",
            ["Submission to the annual review of the course.", "Evidence for each request is available on request."],
        ),
        (
            "Proposal",
            [
                "Proposal for a new teaching session, prepared by students.",
                "The pilot would run in one block before any wider change.",
            ],
        ),
    ],
}
PLATFORMS = {"social_media": ["Instagram", "X", "Facebook"], "petition": ["student union website"]}

FIRST_NAMES = [
    "Amina",
    "Bilal",
    "Hina",
    "Tariq",
    "Sana",
    "Omar",
    "Farah",
    "Imran",
    "Ayesha",
    "Kamran",
    "Nadia",
    "Usman",
    "Rabia",
    "Faisal",
    "Zainab",
    "Hamza",
    "Mariam",
    "Junaid",
    "Saima",
    "Adeel",
    "Grace",
    "Daniel",
    "Chloe",
    "Samuel",
    "Priya",
    "Arjun",
    "Ngozi",
    "Kwame",
    "Lucia",
    "Mateo",
    "Hannah",
    "Ethan",
]
SURNAMES = [
    "Rauf",
    "Qureshi",
    "Baig",
    "Lodhi",
    "Siddiqui",
    "Malik",
    "Chaudhry",
    "Durrani",
    "Hashmi",
    "Kazmi",
    "Mirza",
    "Sheikh",
    "Abbasi",
    "Bhatti",
    "Okafor",
    "Mensah",
    "Fernandes",
    "Whitaker",
    "Lindqvist",
    "Morrow",
    "Castellano",
    "Adeyemi",
    "Novak",
    "Brennan",
]
TITLES = ["Dr", "Dr", "Prof", "Professor", "Mr", "Ms", "Mrs", "Nurse", "Sister"]
INSTITUTIONS = [
    "Northfield Teaching Hospital",
    "Crescent Valley Medical College",
    "St Aldric's Medical School",
    "Lakeside Community Clinic",
    "Harrowgate University Hospital",
    "Riverside Women's Hospital",
    "Eastbrook School of Medicine",
    "Hillcrest General Hospital",
    "Marston Road Health Centre",
    "Westmere Children's Hospital",
]
EMAIL_DOMAINS = ["northfield-hospital.org", "cvmc.edu.pk", "staldric.ac.uk", "lakesideclinic.org", "mailbox.example"]
URL_STEMS = [
    "www.fairmeded.org/petition",
    "www.studentsforequity.net/join",
    "antiracistmeds.org/statement",
    "www.cvmc-advocacy.org/town-hall",
]
HANDLES = ["@antiracist_meds", "@equity_in_med", "@cvmc_advocacy", "@fairmeded", "@medstudents4justice"]
PHONE_FORMATS = [
    "+92 3{a:02d} {b:03d} {c:04d}",
    "03{a:02d}-{b:03d}{c:04d}",
    "(051) {b:03d}-{c:04d}",
    "+44 20 {b:03d}0 {c:04d}",
]


# --------------------------------------------------------------------------- code sentences
_SLOTS = re.compile(r"\{(person|first|inst|email|phone|url|handle)\}")

SAID_OPENINGS = list(FILLER_OPENINGS)
WRITTEN_OPENINGS = ["In addition, ", "Likewise, ", "Further, ", "Again, ", "Similarly, ", "Separately, "]


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    if first in ("I", "I'm") or first.startswith(("{", "I'")) or (len(first) > 1 and first[1].isupper()):
        return text
    return text[:1].lower() + text[1:]


def nth_sentence(bank: list[str], n: int, openings: list[str], closings: list[str] | None = None) -> str:
    """The n-th sentence (from 0) of a bank: the sentences as written, then each behind
    an opening, then each with a closing clause as well; never the same one twice below
    the bank's capacity. Past it (only for data far larger than a study, ``--scale``,
    which serve timing, not reading) the sequence starts again."""
    closings = FILLER_CLOSINGS if closings is None else closings
    b = len(bank)
    n %= b * (1 + len(openings) * (1 + len(closings)))
    if n < b:
        return bank[n]
    m = n - b
    if m < b * len(openings):
        return openings[m // b] + _lower_first(bank[m % b])
    m -= b * len(openings)
    text = openings[(m // b) % len(openings)] + _lower_first(bank[m % b])
    return text[:-1] + closings[m // (b * len(openings))] + "."


def code_sentence(code: str, voice: str, slots: tuple[str, ...], n: int) -> str:
    """The n-th sentence (from 0) of a data set written for ``code`` in ``voice``
    (``said``: a learner talking; ``written``: a document) with exactly these
    identifier slots, in order: never the same sentence twice."""
    bank = [s for s in (SAID if voice == "said" else WRITTEN)[code] if tuple(_SLOTS.findall(s)) == slots]
    if not bank:
        raise ValueError(f"no {voice} sentence for {code} with the slots {slots}")
    return nth_sentence(bank, n, SAID_OPENINGS if voice == "said" else WRITTEN_OPENINGS)


def pii_on_topic(template: str, code: str, n: int) -> str:
    """The n-th use (from 0) in a data set of the PII sentence ``template`` beside a
    sentence about ``code``: a wording of it with the same slots in the same order that
    speaks of one of the code's topics; never the same sentence twice."""
    variants = PII_ON_TOPIC[PII_SENTENCES.index(template)]
    topics = TOPICS[code]
    shift = CODES.index(code)
    written = [
        variants[(k + shift) % len(variants)].replace("{topic}", topics[k // len(variants)])
        for k in range(len(variants) * len(topics))
    ]
    return nth_sentence(written, n, SAID_OPENINGS)
