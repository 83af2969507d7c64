"""Text bank of the *independent* synthetic design (``--design independent``).

Written separately from :mod:`.textbank` (the paper design) and sharing nothing with
it: another setting (a placement workshop for nursing and midwifery students at
three campuses), another codebook, other wording, other invented people, places and
institutions. Every person, place, institution, address and number below is made
up; none of the person names is in the package's lexicons (a test checks it), so
de-identification meets them for the first time.

Templates carry slots that the generator fills and records as planted identifiers:
``{titled}`` (title, given name and surname), ``{full}`` (given name and surname),
``{first}`` (a given name alone), ``{poss}`` (a given name with ``'s``),
``{surname}`` (title and surname), ``{upper}`` (a full name in capitals),
``{lower}`` (a given name in lower case), ``{inst}``, ``{place}``, ``{email}``,
``{phone}``, ``{url}`` (with scheme), ``{bare_url}`` (without), ``{handle}``,
``{dob_long}``, ``{dob_iso}``, ``{dob_slash}``, ``{student}``, ``{mrn}``, ``{nhi}``.
"""

from __future__ import annotations

from .textbank import nth_sentence

# --------------------------------------------------------------------------- codebook
# Four theme pools; a study uses 1 to 4 of them (the seed decides). In every pool the
# first two codes are *anchors* that always appear and are linked to an outcome in
# the joint display; the others are drawn, so each theme has 2 to 4 codes.

THEME_POOL = [
    {
        "id": "voice_on_placement",
        "label": "Finding a voice on placement",
        "description": "How students respond when racism happens in front of them on a clinical placement.",
        "codes": [
            {
                "id": "bystander_response",
                "label": "Stepping in as a bystander",
                "definition": "The student describes interrupting, questioning or reporting a racist remark or act "
                "they witnessed on placement.",
                "exclude": "Wishing they had acted without doing so (reprisal_worry).",
            },
            {
                "id": "reprisal_worry",
                "label": "Worry about reprisal",
                "definition": "Fear that speaking up will cost a grade, a reference or a good placement report.",
                "include": "Staying silent because of who signs the assessment.",
            },
            {
                "id": "naming_microaggressions",
                "label": "Naming everyday slights",
                "definition": "Putting a name to small repeated comments or habits that single people out.",
            },
            {
                "id": "shift_allies",
                "label": "Allies on the shift",
                "definition": "A named or unnamed colleague on the ward who backed the student up in the moment.",
            },
        ],
    },
    {
        "id": "belonging_identity",
        "label": "Belonging and identity",
        "description": "Whether students feel they belong in nursing and midwifery, and how the workshop touched that.",
        "codes": [
            {
                "id": "identity_affirmed",
                "label": "Identity affirmed",
                "definition": "The student says the workshop or peers made their background feel like a strength "
                "in care rather than a problem.",
            },
            {
                "id": "peer_circle",
                "label": "A circle of peers",
                "definition": "A group of fellow students who meet, message or debrief and keep one another going.",
            },
            {
                "id": "made_the_token",
                "label": "Being made the token",
                "definition": "Being asked to speak for a whole community or to appear in publicity because of "
                "one's background.",
            },
            {
                "id": "alone_on_the_ward",
                "label": "Alone on the ward",
                "definition": "Feeling isolated as the only student or staff member of one's background on a unit.",
            },
        ],
    },
    {
        "id": "organising_change",
        "label": "Organising for change",
        "description": "What students build or campaign for beyond their own placements.",
        "codes": [
            {
                "id": "union_campaign",
                "label": "Campaigning through the students' union",
                "definition": "Motions, campaigns or stalls run through the students' union or a student society.",
            },
            {
                "id": "chairing_a_group",
                "label": "Chairing or founding a group",
                "definition": "The student takes the chair, founds a group or becomes its named contact.",
            },
            {
                "id": "interpreter_access",
                "label": "Interpreters and language access",
                "definition": "Pressing for interpreters, translated leaflets or time for patients who do not "
                "share the ward's language.",
            },
            {
                "id": "teaching_materials",
                "label": "Making teaching materials",
                "definition": "Writing case studies, skin-tone photo sets or reading lists for other students.",
            },
        ],
    },
    {
        "id": "cost_of_the_work",
        "label": "The cost of the work",
        "description": "What anti-racist work takes out of the students who do it.",
        "codes": [
            {
                "id": "unpaid_emotional_labour",
                "label": "Unpaid emotional labour",
                "definition": "Time, energy and feeling spent on the work with no recognition, credit or pay.",
                "exclude": "Exhaustion and stepping back from the work (running_on_empty).",
            },
            {
                "id": "running_on_empty",
                "label": "Running on empty",
                "definition": "Exhaustion, dropping out of the group or stepping back from a role.",
            },
            {
                "id": "money_worries",
                "label": "Money worries",
                "definition": "Travel, childcare or lost shifts of paid work that the activity costs.",
            },
            {
                "id": "online_pile_on",
                "label": "Online pile-on",
                "definition": "Hostile messages or comments after a post or campaign became visible online.",
            },
        ],
    },
]

# Joint-display links of the anchor codes: (outcome, direction, how strongly the
# learner's outcome drives talk of the code).
ANCHOR_LINKS = {
    "bystander_response": ("active_participation", "same"),
    "reprisal_worry": ("perceived_support", "inverse"),
    "identity_affirmed": ("increased_cultural_competence", "same"),
    "peer_circle": ("perceived_support", "same"),
    "union_campaign": ("active_participation", "same"),
    "chairing_a_group": ("leadership_role", "same"),
    "unpaid_emotional_labour": ("perceived_support", "inverse"),
    "running_on_empty": ("leadership_role", "inverse"),
}

# Codes that come up rarely (relative weight when a unit's codes are drawn).
RARE = {"online_pile_on": 0.15, "teaching_materials": 0.3, "made_the_token": 0.35, "money_worries": 0.4}

SENTENCES = {
    "bystander_response": [
        "When the charge nurse made that joke about the family's food, I asked him to say it again slowly, and he went quiet.",
        "I filled in the incident form that evening, even though my hands were shaking while I typed.",
        "I just said, that is not okay, and carried on with the obs round.",
        "After the workshop I had a sentence ready, and the next time a relative was mocked at handover I used it.",
        "I went to the ward manager straight after the shift rather than waiting for the debrief.",
        "A healthcare assistant was being talked down to by a registrar and I stood next to her until he stopped.",
    ],
    "reprisal_worry": [
        "My practice assessor was the one making the comments, so who was I going to tell?",
        "I kept my head down because I needed that sign-off to progress to third year.",
        "Everyone warned me that the unit remembers students who cause trouble.",
        "I was scared the reference for my first job would come from the same people.",
        "Part of me still thinks my mark on that placement dropped because I spoke up.",
    ],
    "naming_microaggressions": [
        "It is the little things, like being asked to fetch the interpreter because you look like you might speak the language.",
        "They kept mixing up the two of us who wear a headscarf, for six weeks.",
        "Once I had the word for it, I started noticing how often my hair got touched or commented on.",
        "Being told you are so articulate is meant as praise, but it lands as surprise.",
        "Patients would ask for the real nurse when I was the one holding the chart.",
    ],
    "shift_allies": [
        "One of the senior midwives took me aside and said she had heard it too and would back me.",
        "The night sister simply swapped me to another bay without making a fuss, and later asked how I was.",
        "A staff nurse wrote down exactly what was said, with the time, in case I needed it.",
        "Having one person on the shift who rolled their eyes with me made the whole week bearable.",
        "The pharmacist on the ward round corrected the consultant before I even had to.",
    ],
    "identity_affirmed": [
        "For the first time the teaching treated my grandmother's remedies as something to ask about, not laugh at.",
        "The session on skin assessment used photos that looked like my own family.",
        "I stopped hiding that I speak three languages, because on the ward it turned out to be useful.",
        "The workshop made me see my background as part of my nursing, not a thing to leave at the door.",
        "Reading Audre Lorde in the second session gave me words for things I had only ever felt.",
        "I realised the patients who look like me actually relax when I walk in.",
    ],
    "peer_circle": [
        "There are five of us who meet on Thursday evenings and go through whatever happened that week.",
        "Our group chat is where we send a quick message when something goes wrong on shift.",
        "The cohort from the workshop still eats lunch together on study days.",
        "Knowing the others had been through the same thing meant I did not have to explain myself.",
        "We take turns checking in on whoever had the hardest placement.",
    ],
    "made_the_token": [
        "I was put on the prospectus cover and then nobody asked my opinion on anything.",
        "The lecturer turned to me and asked what my community thinks about organ donation, as if I could answer for millions.",
        "Every open day they ask me to stand at the stall because I make the photos look diverse.",
        "I was invited onto the panel, but only to tell my story, not to decide anything.",
    ],
    "alone_on_the_ward": [
        "On that surgical unit I was the only student of colour for the whole ten weeks.",
        "Nobody on the rota looked like me, and the breaks were the loneliest part of the day.",
        "I used to eat in the car because the staff room conversation went silent when I came in.",
        "It is hard to describe being the only one; you are visible and invisible at the same time.",
        "At the community placement there was no one to debrief with, so I wrote everything in a notebook.",
    ],
    "union_campaign": [
        "We brought a motion to the students' union asking for a clear route to report racism on placement, and it passed.",
        "Our society ran a stall in freshers' week with badges that said ask me about reporting.",
        "The campaign got the university to publish how many placement complaints were upheld.",
        "I spent the spring collecting signatures for the union's motion on uniform rules for headwear.",
        "We organised a teach-in at the union bar, and more people came than the room could hold.",
        "We named the study room after Mary Seacole, which took three committee meetings and a vote.",
    ],
    "chairing_a_group": [
        "I ended up chairing the anti-racism group after the founder went on maternity leave.",
        "I founded the midwifery students' network this year and I am still its only contact.",
        "Being the person who runs the meeting made me plan, delegate and follow up properly.",
        "The faculty now emails me first when they want student views on anything about race.",
        "I never thought I would lead anything, and now I run the monthly forum.",
    ],
    "interpreter_access": [
        "We asked why the ward relied on a patient's ten-year-old to interpret, and wrote to the matron about it.",
        "Our proposal was simple: every antenatal clinic should have a booked interpreter, not a phone on speaker.",
        "I translated the discharge leaflet with two other students, and the unit finally printed it.",
        "Getting extra time in clinic for patients who need an interpreter became our main ask.",
    ],
    "teaching_materials": [
        "We put together a photo set of rashes and pressure damage on darker skin for the first years.",
        "I wrote two case studies for the simulation suite where the patient's culture matters to the plan.",
        "Our reading list is now linked from the module page, with a short note on each item.",
    ],
    "unpaid_emotional_labour": [
        "All of this happens in our own time, after twelve-hour shifts, and nobody counts it.",
        "I was doing the same work as the diversity lead, but she is paid and I am a student.",
        "Every time something happens, people come to me to talk it through, and it adds up.",
        "The university likes to mention our group in reports, but it has never given us a penny or an hour.",
        "I am tired of being the person who explains racism to people who are paid to understand it.",
    ],
    "running_on_empty": [
        "By March I had nothing left and stepped down from the group.",
        "I stopped going to the meetings for a while because I was crying on the way home.",
        "Three of us dropped out of the network in the same term, all for the same reason.",
        "I love the work, but I had to choose between it and passing my exams.",
        "I said no to leading the next campaign because I could feel myself burning out.",
    ],
    "money_worries": [
        "The bus to the rural placement cost me more each week than my food.",
        "Going to the evening meetings meant missing a paid shift at the care home.",
        "I could only come because my aunt looked after the children on Tuesdays.",
    ],
    "online_pile_on": [
        "After our post about the uniform policy, strangers left hundreds of angry comments.",
        "Someone screenshotted my profile and shared it with a horrible caption.",
        "We had to turn off replies for a week because the messages got frightening.",
    ],
}

# The same codes in a document's voice (reflective logs, newsletters, open letters,
# meeting notes): written once each, like SENTENCES, so that no document repeats a
# sentence a student said.
WRITTEN: dict[str, list[str]] = {
    "bystander_response": [
        "Students reported interrupting racist remarks at handover and asking staff to repeat them.",
        "An incident form was completed on the same evening, with the exact words used.",
        "Several students now use a prepared phrase when a patient or relative is mocked.",
        "The student went to the ward manager at the end of the shift rather than waiting for the debrief.",
        "Members described standing beside colleagues who were being spoken down to until the remarks stopped.",
        "Reports made by student bystanders rose after the workshop.",
        "A student questioned a joke about a family's food in front of the whole team.",
    ],
    "reprisal_worry": [
        "Students fear that reporting an assessor will affect their sign-off.",
        "Several members stayed silent because the person making the comments wrote their placement report.",
        "Students were warned informally that units remember those who cause trouble.",
        "Concern about references for a first post was the reason most often given for not reporting.",
        "One student believes her placement mark fell after she raised a concern.",
        "A confidential route that does not pass through the assessor is requested.",
        "Students asked whether a complaint would appear on their file.",
    ],
    "naming_microaggressions": [
        "Students described being asked to fetch interpreters because of how they look.",
        "Two students who wear headscarves were repeatedly confused with each other for a whole placement.",
        "Comments on students' hair were recorded as a recurring pattern.",
        "Praise for being articulate was described as carrying an unspoken surprise.",
        "Patients asking for the real nurse was the most commonly logged remark.",
        "The group agreed a shared vocabulary for naming everyday slights.",
    ],
    "shift_allies": [
        "A senior midwife offered to back the student in any report.",
        "The night sister moved the student to another bay and checked on her later.",
        "A staff nurse wrote down what had been said, with the time, in case it was needed.",
        "Students named colleagues who had supported them during shifts.",
        "A pharmacist corrected a consultant's remark before the student had to.",
        "Allies on the ward were thanked in the newsletter, with their permission.",
    ],
    "identity_affirmed": [
        "The workshop treated students' cultural knowledge as a strength in care.",
        "Teaching on skin assessment now uses photographs of a wide range of skin tones.",
        "Students who speak several languages described feeling valued on placement for the first time.",
        "Participants wrote that the sessions gave them words for experiences they had only felt before.",
        "Students reported that patients from their own communities relaxed when they were present.",
        "Several entries describe a new pride in bringing their background into nursing.",
        "The group asked that the workshop continue for the next cohort.",
    ],
    "peer_circle": [
        "A group of five students meets on Thursday evenings to debrief.",
        "The group chat is used to check in after difficult shifts.",
        "The workshop cohort continues to meet at lunch on study days.",
        "Members take turns checking on whoever had the hardest placement.",
        "Peer debriefs meant students did not have to explain themselves from the beginning.",
        "New students are welcome to join the Thursday meetings at any point in the year.",
        "The circle has grown from five members to twelve since the autumn.",
    ],
    "made_the_token": [
        "Students have been asked to appear in publicity without being consulted on anything else.",
        "A lecturer asked a student to speak for her whole community in class.",
        "Students of colour are repeatedly asked to staff open-day stalls.",
        "Panel invitations asked students to share their stories but gave them no say in decisions.",
        "The group asks that students be invited for their views, not their faces.",
    ],
    "alone_on_the_ward": [
        "Students described being the only person of their background on a unit for a whole placement.",
        "Breaks were described as the loneliest part of the day.",
        "One student ate in her car because conversation stopped when she entered the staff room.",
        "Students on community placements had no one to debrief with.",
        "Placement allocation will try to avoid sending students to units where they would be alone.",
        "Isolation on placement was the theme most often raised in the reflective logs.",
    ],
    "union_campaign": [
        "The union motion asking for a clear route to report racism on placement was passed.",
        "The society's stall in freshers' week handed out badges about reporting.",
        "The campaign secured publication of the number of placement complaints upheld.",
        "Signatures are being collected for the union motion on uniform rules for head coverings.",
        "The teach-in at the union drew more people than the room could hold.",
        "The study room has been renamed after a vote at the union council.",
        "The campaign will next ask the union to fund travel to distant placements.",
    ],
    "chairing_a_group": [
        "A new chair took over the anti-racism group this term.",
        "The midwifery students' network was founded this year and has one named contact.",
        "The chair now plans each meeting, delegates tasks and follows up actions.",
        "Faculty now contact the group's chair first for student views on race.",
        "The monthly forum is run by a student who joined as an ordinary member last year.",
        "The chair will hand over to a co-chair at the end of the year.",
    ],
    "interpreter_access": [
        "Relying on children to interpret for their parents should end on every ward.",
        "Every antenatal clinic should have a booked interpreter rather than a phone on speaker.",
        "Students translated the discharge leaflet, and the unit has now printed it.",
        "Extra clinic time for patients who need an interpreter is the group's main request.",
        "A list of the languages most needed on each ward has been sent to the matron.",
        "Translated leaflets will be reviewed by members of the communities who use them.",
    ],
    "teaching_materials": [
        "A photo set of rashes and pressure damage on darker skin is now available to first-years.",
        "Two new simulation case studies place the patient's culture at the centre of the plan.",
        "The reading list is linked from the module page, with a short note on each item.",
        "Students are invited to suggest further materials for the next edition.",
    ],
    "unpaid_emotional_labour": [
        "All of this work is done in students' own time, after long shifts.",
        "Students are doing work equal to that of paid diversity staff without any recognition.",
        "Members report being approached by peers to talk through incidents, with no support themselves.",
        "The group is named in university reports but has never received funding or time.",
        "Students are tired of explaining racism to staff who are paid to understand it.",
        "The group asks that this work count towards practice hours.",
        "A record of the hours members give is now kept, so that the work can be seen.",
    ],
    "running_on_empty": [
        "Two members stepped down from the group this term.",
        "Attendance at meetings fell as placements became more demanding.",
        "Three members left the network in the same term, for the same reason.",
        "Students reported having to choose between the group and passing their exams.",
        "Nobody volunteered to lead the next campaign, citing exhaustion.",
        "The group will meet less often over the exam period to protect members' health.",
        "A member wrote that she had nothing left to give by the spring.",
        "Roles will be shared between two people so that no one carries a campaign alone.",
    ],
    "money_worries": [
        "Travel to rural placements costs some students more each week than their food.",
        "Evening meetings mean missed paid shifts for students who work.",
        "Childcare on meeting days is a barrier for students who are parents.",
        "The group asks for travel costs to be reimbursed.",
    ],
    "online_pile_on": [
        "A post about the uniform policy attracted hundreds of hostile comments.",
        "A member's profile was shared online with an abusive caption.",
        "Replies were turned off for a week after threatening messages.",
        "Members are advised to report abusive messages to the university and keep screenshots.",
    ],
}

# More sentences in a student's voice, after those above: SAID[code] is SENTENCES[code]
# followed by these, so that a study rarely writes a sentence behind an added opening.
MORE_SAID: dict[str, list[str]] = {
    "bystander_response": [
        "I asked the healthcare assistant to come with me while I told the sister what the patient had said.",
        "The second time he made the comment, I told him in front of everyone that I would be writing it down.",
        "I interrupted the handover and said we could talk about the patient without mentioning her religion.",
        "I stayed with the student nurse who had been shouted at until the shift leader arrived.",
        "I reported it through the university portal because I did not trust the ward's own system.",
        "I asked the registrar what he meant by that, and he had no answer.",
        "Before the workshop I would have laughed it off, but this time I said it was not funny.",
        "I took the relative aside and apologised for what my colleague had said, and then I reported it.",
        "When the porter was mocked for his accent, I made a point of thanking him by name.",
        "I wrote the words down on my hand so I would get them exactly right in the report.",
        "I told my practice supervisor the same day, and she came with me to see the manager.",
        "I simply said, we do not talk about patients like that here, and the room went quiet.",
        "I spoke to the student who had been targeted first, to ask whether she wanted me to report it.",
        "I challenged it on my last day of placement, which I know was the easy way, but I did it.",
        "I raised it at the next team meeting without naming anyone, and two nurses thanked me afterwards.",
        "I changed the subject loudly, which sounds small, but it stopped the joke from going on.",
    ],
    "reprisal_worry": [
        "I knew exactly who would be writing my final assessment, so I decided to wait.",
        "The thought of being labelled difficult in my first year kept me quiet.",
        "I did not report it because the ward was the only one offering the placement I needed.",
        "My friend complained and then got moved to a unit two hours away, so we all noticed.",
        "I worried that the story would follow me to every ward in the trust.",
        "I asked the university whether it would be anonymous, and nobody could promise me that.",
        "I would rather lose the argument than lose my place on the course.",
        "There is a feeling that if you speak up, your competencies suddenly take longer to get signed.",
        "I wrote the complaint three times and deleted it three times.",
        "The mentor who made the comment was also the one who would decide if I passed.",
        "I have two children, and I cannot afford to repeat a placement.",
        "I only told the university after the placement ended, when my grade was safe.",
        "Everyone on the ward was friends with her, so I knew it would get back to her.",
        "I was scared my name would be known across the whole maternity unit.",
        "Speaking up felt like something for people who already had jobs.",
    ],
    "naming_microaggressions": [
        "A patient asked whether my name was my real name, and then gave me a nickname instead.",
        "Being asked if I was on a student visa, when I was born down the road, happened every week.",
        "Colleagues kept complimenting my English, as if they had expected otherwise.",
        "I noticed I was always the one sent to the patients who did not speak English.",
        "Someone said I was very calm for someone from my background, and I wrote it in my diary.",
        "People touched my braids without asking, and it took me months to say anything.",
        "I started keeping a tally of how often my name was mispronounced on purpose.",
        "A lecturer called me by the name of the only other Black student in the room, twice.",
    ],
    "shift_allies": [
        "A healthcare assistant told me she had heard it too and would say so if asked.",
        "My practice supervisor said she would sit in on the meeting with the manager.",
        "One of the doctors quietly corrected the patient's remark and carried on with the examination.",
        "The ward clerk made me a cup of tea and told me it was not my fault.",
        "A student midwife from the year above walked me through how to write the report.",
        "Having the charge nurse back me up on the spot meant the patient apologised.",
        "The nurse in charge moved me to her bay for the rest of the shift and never made a fuss about it.",
    ],
    "identity_affirmed": [
        "The workshop leader asked about our families' remedies with real curiosity, not as a joke.",
        "I used to hide my accent on the phone, and now I do not.",
        "Learning about the history of nurses from my community made me feel I belong here.",
        "For the first time a lecturer asked what I knew from home instead of correcting it.",
        "I realised my experience of translating for my parents is a clinical skill.",
        "The case study had a family like mine, and they were not the problem in the story.",
        "I wear my headscarf on placement now without thinking about it every morning.",
        "A patient's mother cried with relief when I spoke to her in her own language.",
        "I stopped trying to be someone else on the ward, and my practice got better.",
        "The workshop made it clear that my culture is something to bring, not something to manage.",
        "My mentor said my background helped the whole team understand the family.",
        "I finally felt that the course was made for people like me too.",
        "Talking openly about where we come from made the group feel like a team.",
        "I now see my bilingualism as an asset that patients actually need.",
        "One session showed that the way I was raised to care for elders is good practice.",
        "I went home and told my grandmother that her advice had come up in class.",
        "The photos in the skin session were the first time I saw my own skin in a textbook.",
    ],
    "peer_circle": [
        "When something happens on shift, I message the group before I even get to the car.",
        "We have a rule that nobody walks home alone after a bad shift.",
        "Our Thursday debrief is the one hour of the week I do not have to explain anything.",
        "We swap notes on which wards are safe and which mentors to avoid.",
        "The others helped me write my reflection when I was too angry to do it alone.",
        "We started as six strangers from the workshop and now we are close friends.",
        "If one of us has a hard placement, the rest of us check in every evening.",
        "The group chat has a thread just for wins, so we remember the good days too.",
        "We practise what to say to difficult comments on each other before we need it.",
        "Knowing someone else had the same ward last year made me feel less crazy.",
        "We cook together once a month, and it is the best support I have on the course.",
        "My peers noticed I had gone quiet before I noticed it myself.",
        "We go to each other's presentations, even when it means getting up early.",
        "The circle kept me on the course when I was ready to leave in first year.",
        "Being with people who understood meant I could laugh about it instead of crying.",
        "We pass on our notes and our warnings to the year below.",
        "Whoever has the easier week makes sure the others have eaten.",
        "We meet in the library cafe after late shifts and just talk.",
        "Somebody from the group always comes with you to a difficult meeting.",
    ],
    "made_the_token": [
        "I was asked to pose for a brochure and then was not invited to the meeting it advertised.",
        "Every time there is a diversity event, I get an email asking me to speak.",
        "They wanted my face on the website but not my opinion on the curriculum.",
        "I was asked to explain my whole religion in five minutes during a lecture.",
        "A tutor asked me to tell the class what people like me eat, as if we all ate the same.",
        "I said yes to the first panel and no to the next three, because it was always the same question.",
    ],
    "alone_on_the_ward": [
        "I spent ten weeks on a unit where nobody looked like me or sounded like me.",
        "I used to ring my sister on my breaks just to hear a familiar voice.",
        "Nobody sat with me at lunch for the first fortnight.",
        "I was the only student who had to explain my name to every patient and every nurse.",
        "When the comments happened, there was nobody on the shift I could look to.",
        "The loneliness was worse than the racism itself, if I am honest.",
        "On night shifts I felt completely invisible, except when something went wrong.",
        "I only realised how isolated I had been when I got back to university and felt relief.",
        "Being the only one meant every mistake I made felt like it counted for all of us.",
        "At the rural placement I drove forty minutes each way and talked to nobody all day.",
    ],
    "union_campaign": [
        "We took the motion to the union council twice before it passed.",
        "Our society's stall got more sign-ups than the climbing club, which we still joke about.",
        "The union helped us print posters about how to report racism on placement.",
        "I spoke at the union general meeting, which was the first time I had ever used a microphone.",
        "We got the union to fund a trained adviser for students who experience racism on placement.",
        "Our campaign asked the union to add racism to the list of reasons for a placement change.",
        "We ran a week of events in the union building, with talks every lunchtime.",
        "The union officers helped us draft the motion so that it could not be watered down.",
        "We lobbied every union councillor in person the week before the vote.",
        "The campaign's badges ended up on lanyards all over the hospital.",
        "We asked the union to publish its own data on complaints, and they agreed.",
        "The motion on headwear passed with only two votes against.",
        "The union gave us a small grant for a speaker, which felt like being taken seriously.",
        "Our stall at the union fair had a map of where to get support on each campus.",
        "We used the union's newsletter to reach students who never come to meetings.",
        "After the campaign, the union made anti-racism a standing item at its council.",
    ],
    "chairing_a_group": [
        "When the founder left, nobody else put their hand up, so I became the chair.",
        "Running the meetings taught me to give quieter people space to speak.",
        "I set up the network in my second year because there was nothing like it for midwifery students.",
        "I am the named contact for the group, so every email lands with me.",
        "Chairing forced me to learn how to end a meeting on time with clear actions.",
        "I founded the group with two friends after the workshop, and now there are thirty of us.",
        "Being the chair means the university listens when I ask for a room or a budget.",
        "I learned to delegate, because I could not do everything on my own.",
        "I now represent the group at the school's board, which is strange and exciting.",
        "The hardest part of chairing is handling disagreement without losing anyone.",
        "I wrote our first terms of reference at my kitchen table.",
        "I became chair almost by accident, and I have grown into it.",
        "Leading the group showed me I can speak to senior staff as an equal.",
        "I am training a co-chair so the group does not depend on me.",
    ],
    "interpreter_access": [
        "I watched a woman sign a consent form she could not read, and that started it for me.",
        "We counted how often family members were used to interpret in one week on the ward.",
        "The phone interpreter line cut out twice during a birth, so we asked for someone in person.",
        "We made a card in twelve languages so patients could ask for an interpreter.",
        "I kept a note of every time a patient's child was asked to translate bad news.",
        "Our ask was simple: double appointments for anyone who needs an interpreter.",
        "We met the interpreting service manager and learned they had never been asked by a student before.",
        "I translated the breastfeeding leaflet with my mum, and the ward uses it now.",
        "We asked for the interpreter booking form to be moved to the front of the antenatal notes.",
        "Without an interpreter, the midwife could not explain why the baby needed to go to the unit.",
        "We pushed for interpreters to be booked for follow-up visits at home as well.",
        "We trained other students on how to work with an interpreter rather than around them.",
        "The ward now has a list of staff who speak other languages, which was our idea.",
        "I wrote to the matron after a patient was discharged without understanding her medicines.",
        "We got video interpreting on two wards as a trial after our report.",
        "I still think about the man who nodded along to everything because nobody could speak his language.",
        "Our group produced short audio guides to the ward in four community languages.",
        "We asked the hospital to stop using relatives for anything involving consent.",
    ],
    "teaching_materials": [
        "I photographed my own eczema for the teaching set, because there were no other pictures.",
        "We wrote a case about a family whose fasting month changed the plan for their diabetes.",
        "Our reading list has a short note on each item, so first-years know where to start.",
    ],
    "unpaid_emotional_labour": [
        "I spend most evenings answering messages from students who have had a bad day on placement.",
        "Nobody pays us for the hours we spend writing reports that the university then uses.",
        "I organised three events this term and none of it counts towards my course.",
        "Every new incident lands on the same four of us, and it never stops.",
        "I am the person people come to when something racist happens, and it is exhausting.",
        "We trained staff for free, and they put it on their own development records.",
        "The work is invisible until something goes wrong, and then everyone asks us what to do.",
        "I do this on top of placements, essays and a part-time job.",
        "I gave up my reading week to prepare the workshop that staff were supposed to run.",
        "We are asked for our views constantly, but never paid for them.",
        "I keep a list of the hours I give, just so I know it is real.",
        "Being the person who always explains takes something out of you.",
        "The university puts our photos in its annual report and gives us nothing in return.",
        "When I say no to a request, I feel guilty, as if the whole cause depends on me.",
        "I spent a whole weekend rewriting a policy that a manager then presented as her own.",
        "It adds up to a second job, and I never applied for it.",
    ],
    "running_on_empty": [
        "I stepped back from the committee after my exams went badly.",
        "I love the group, but I have not been to a meeting since the winter break.",
        "I started dreading the notifications on my phone, so I muted the chat.",
        "My tutor said I looked exhausted and asked what I was carrying.",
        "I was crying in the car park before shifts, and that was when I knew I had to stop.",
        "I handed over my role because I could not keep going on four hours of sleep.",
        "By the end of the campaign I could not even read the news.",
        "I took a month off from everything to do with the group, and I still feel guilty.",
        "I used to be the first to volunteer, and now I say no to almost everything.",
        "Two of my friends left the course, partly because of how much this took out of them.",
        "I missed a deadline for the first time ever because I was organising an event.",
        "I said I would come back next term, but I am not sure I will.",
        "The burnout crept up on me, and by the time I noticed, I was already empty.",
        "I had nothing left for my patients, and that frightened me.",
        "I stopped going to the Thursday meetings because I could not face talking about it again.",
        "My body told me to stop before my head did, with migraines every week.",
        "I had to choose between the group and my placement, and the placement won.",
        "I am taking a break from leading anything until I qualify.",
        "The work never ends, so I had to end it for myself.",
        "I realised I had not seen my family in two months because of the campaign.",
        "I stepped down quietly, without a message to the group, because I could not explain it.",
        "I was running on caffeine and anger, and the anger ran out first.",
        "When the new chair took over, I felt relief rather than sadness.",
    ],
    "money_worries": [
        "I turned down two evening meetings this month because I could not lose the shift pay.",
        "The train to the placement costs almost as much as my rent.",
        "I only joined the campaign once the union agreed to pay travel expenses.",
        "Childcare costs mean every meeting is a choice between the cause and the bills.",
        "I skipped the conference because the ticket was a week of food.",
    ],
    "online_pile_on": [
        "I deleted my account for a month after the comments started.",
        "People I had never met were tagging my lecturers in abusive posts.",
    ],
}

# More sentences in a document's voice, after WRITTEN[code] (used in that order).
MORE_WRITTEN: dict[str, list[str]] = {
    "bystander_response": [
        "Members agreed to support any student who challenges a remark, whatever the outcome.",
        "The group circulated a short guide on what to say in the moment.",
        "Students who intervened were encouraged to write down the time and the words used.",
        "A student bystander's report led to a formal review on one ward.",
        "Staff on two units have asked for the same bystander training.",
    ],
    "reprisal_worry": [
        "Most members said they would report only after their placement was signed off.",
        "The fear of being moved to a distant placement was raised at every meeting.",
        "Students asked that assessors be told they may not mark a student who has reported them.",
        "Anonymous reporting was the measure members most wanted.",
        "The group noted that fear of reprisal is highest in the first year.",
        "Students with caring responsibilities were the most worried about repeating a placement.",
    ],
    "peer_circle": [
        "The Thursday debrief will move to a larger room from next month.",
        "Members agreed that nobody should travel home alone after a difficult shift.",
        "A thread for good news was added to the group chat.",
        "Peer mentors from the second year will be paired with new students.",
        "The circle's guidance on debriefing has been shared with the year below.",
        "The group's monthly meal continues to be the best attended event.",
        "Members practised responses to difficult comments in pairs.",
    ],
    "union_campaign": [
        "The union council agreed to fund a trained adviser for students who face racism on placement.",
        "Posters on how to report racism are now displayed on every campus.",
        "The union will publish its complaints data each year.",
        "Anti-racism is now a standing item at the union council.",
        "The motion on headwear passed with two votes against.",
        "The week of lunchtime talks will run again in the spring.",
        "The union has agreed to reimburse travel for campaign events.",
        "Every union councillor was contacted before the vote.",
        "A map of support on each campus is available from the society's stall.",
        "The campaign badges are available from the union shop.",
    ],
    "chairing_a_group": [
        "The chair will represent the group at the school board.",
        "Terms of reference for the group were adopted at the first meeting.",
        "A co-chair is being trained so that the group does not depend on one person.",
        "The founder thanked members for thirty sign-ups in the first term.",
        "The chair asked for nominations for the role of secretary.",
        "The group's named contact will change at the end of the year.",
        "The chair reported on the meeting with the head of school.",
        "New members are welcome to stand for the chair at the next election.",
    ],
    "interpreter_access": [
        "Family members should not be used to interpret for anything involving consent.",
        "A card in twelve languages now lets patients ask for an interpreter.",
        "Video interpreting is being trialled on two wards.",
        "A list of staff who speak other languages is kept at each nurses' station.",
        "Follow-up visits at home should also have a booked interpreter.",
        "Appointments for patients who need an interpreter should be doubled in length.",
        "The interpreter booking form will move to the front of the antenatal notes.",
        "Audio guides to the ward are available in four community languages.",
        "Students will be trained to work with interpreters rather than around them.",
        "The matron has been asked to review a discharge made without an interpreter.",
        "In one week on one ward, relatives were counted interpreting for patients on most days.",
        "The breastfeeding leaflet has been translated by students and their families.",
        "The phone line failed twice during one birth, which is why an in-person interpreter is requested.",
        "The interpreting service manager will meet the group again next term.",
    ],
    "unpaid_emotional_labour": [
        "Members give an average of several hours a week to this work.",
        "Students trained staff without any payment or credit.",
        "The university's annual report features the group but offers no support.",
        "Requests for student views should come with time or pay.",
        "Members asked that reading weeks not be used for work staff should do.",
        "A policy drafted by students was presented by a manager without credit.",
        "The same few members handle every new incident.",
        "Members feel guilty when they decline requests, which the group wants to change.",
    ],
    "running_on_empty": [
        "The secretary has stepped down for the rest of the year.",
        "Meetings will pause during the exam period.",
        "Members were reminded that stepping back is allowed and will not be judged.",
        "Attendance has fallen by half since the autumn.",
        "The group will not start a new campaign until more members can share the work.",
        "Two members have left the course, in part because of the strain.",
        "A wellbeing check-in will open each meeting from now on.",
        "Notifications in the group chat will be limited to the evenings.",
        "The campaign lead handed over early, citing exhaustion.",
        "Several members missed assessment deadlines during the campaign.",
        "The group asked the university for counselling sessions set aside for its members.",
        "Members agreed that no one should hold more than one role at a time.",
        "The outgoing chair wrote that she had nothing left to give.",
        "Roles will be reviewed each term so that nobody carries too much for too long.",
        "Members reported headaches and poor sleep during the busiest weeks.",
        "The next campaign will be shorter, with a fixed end date.",
        "Members who stepped back are welcome to return whenever they are ready.",
        "The group will ask the school to recognise the toll of this work.",
        "A rota now shares the task of answering messages.",
    ],
}

# Sentences that carry no code: :func:`filler` writes the n-th of a study, never the same
# sentence twice (the bodies in the order given, then each behind an opening, then with a
# closing clause).
FILLERS = [
    "That was back in the autumn, before the second block of placements.",
    "I do not want to make it sound bigger than it was.",
    "It is still a bit raw, to be honest.",
    "My flatmates got tired of hearing about it.",
    "I think about that week more than I expected to.",
    "So yes, it was a lot.",
    "The workshop timetable was tight that term.",
    "There was a lot going on at the time.",
    "I had a cold the whole of that fortnight, which did not help.",
    "My mother still asks whether it was worth the trouble.",
    "I only found the words for it months later.",
    "The bus home took forever that evening.",
    "I was on early shifts most of that block.",
    "We were all tired and a bit short with each other.",
    "I kept meaning to write it down and never did.",
    "It comes back to me at odd moments.",
    "Our cohort is small enough that news travels fast.",
    "I nearly did not mention it at all.",
    "The uniform still smelt of the ward when I got home.",
    "I spent most of that weekend asleep, honestly.",
    "Looking at it now, it seems a long time ago.",
    "There was a lot of tea drunk in that staff room.",
    "I had an essay due the same week.",
    "My placement partner saw it differently, I think.",
    "It is strange what sticks in your memory.",
    "I am still not sure I handled it well.",
    "It happened so quickly that I hardly had time to think.",
    "The car park was half empty when I left.",
    "I had only been on that unit for a few days.",
    "It did not feel like a big deal until later.",
    "I went for a long walk afterwards to clear my head.",
    "That was the same week my grandmother was unwell.",
    "We were short of staff, as usual.",
    "I told my partner about it over dinner.",
    "It was my second placement, so still very new.",
    "The handover that morning had been chaotic.",
    "I was counting the days to the end of the block.",
    "Everyone seemed to have heard a different version.",
    "I was more annoyed than upset, at first.",
    "It still makes me a bit cross, if I am honest.",
]
FILLER_OPENINGS = [
    "Thinking about it now, ",
    "In fairness, ",
    "For what it is worth, ",
    "Either way, ",
    "As I remember it, ",
    "Then again, ",
    "Mind you, ",
    "Anyway, ",
    "To be fair, ",
]
FILLER_CLOSINGS = [", as far as I can tell", ", for me at least", ", more or less", ", if that makes sense"]


def _compose(bodies: list[str], n: int) -> str:
    """The n-th sentence (from 0) of a bank: the bodies as they are; then each body behind
    an opening, both changing from one sentence to the next (the Chinese remainder
    theorem's bijection: every pair once, as the bodies and openings share no factor);
    then each body with a closing clause. Then each opened body with a closing
    clause as well. Distinct for every n below ``len(bodies) * (1 + len(FILLER_OPENINGS)) *
    (1 + len(FILLER_CLOSINGS))``."""
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
        if first not in ("I", "I'm") and not first.startswith("{"):
            text = text[:1].lower() + text[1:]
        return FILLER_OPENINGS[k % o] + text
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
    """The n-th filler sentence of a study (from 0): never the same sentence twice."""
    return _compose(FILLERS, n)


SAID: dict[str, list[str]] = {c: SENTENCES[c] + MORE_SAID.get(c, []) for c in SENTENCES}  # a student talking
WRITTEN = {c: WRITTEN[c] + MORE_WRITTEN.get(c, []) for c in WRITTEN}  # a document
WRITTEN_OPENINGS = ["In addition, ", "Likewise, ", "Further, ", "Again, ", "Similarly, ", "Separately, "]


def code_sentence(code: str, voice: str, n: int) -> str:
    """The n-th sentence (from 0) of a study written for ``code`` in ``voice``
    (``said``: a learner talking; ``written``: a document), by the paper design's
    :func:`compendium.synthesize.textbank.nth_sentence` with this design's banks,
    openings and closings."""
    bank = (SAID if voice == "said" else WRITTEN)[code]
    return nth_sentence(bank, n, FILLER_OPENINGS if voice == "said" else WRITTEN_OPENINGS, FILLER_CLOSINGS)


def reworded(template: str, n: int) -> str:
    """The n-th use (from 0) in a study of an identifier sentence: the template itself,
    then behind an opening or with a closing clause, so that no use repeats another
    (its slots unchanged)."""
    return _compose([template], n)


# Sentences that plant identifiers. Each one is the only place its slots appear.
PII_SENTENCES = [
    "I still have the message {titled} sent me after that shift.",
    "{first} was the one who stayed behind to help me write it up.",
    "It was {poss} idea to take it to the practice educator.",
    "On the ward they only ever called her {surname}, never by her first name.",
    "The placement was at {inst}, on the night rota.",
    "I grew up near {place}, so none of this was new to me.",
    "If anyone wants the slides, email {email}.",
    "Her mobile is {phone}, but she asked us not to pass it around.",
    "The toolkit is up at {url} for anyone who needs it.",
    "We put the reading list on {bare_url} for the next cohort.",
    "Follow {handle} for the meeting dates.",
    "The incident form had her full details on it, born {dob_long}, as if that mattered.",
    "The referral letter listed DOB {dob_iso} and nothing about what actually happened.",
    "The complaint quoted his date of birth, {dob_slash}, and his home address.",
    "He read out my student number, {student}, in front of the whole bay.",
    "The patient's notes, MRN {mrn}, were left open at the nurses' station.",
    "Her health number, {nhi}, was on the whiteboard all morning.",
    "In the group chat {lower} just wrote that we should all go together.",
    "The sign-off sheet said {upper} in block capitals.",
    "{full} from the year above said the same thing happened to her.",
    "We drove out to {inst} near {place} for the second placement.",
]


# What the identifier sentences of a coded unit speak of: a few topics per code, woven
# into wordings of each identifier sentence (PII_ON_TOPIC, same order as PII_SENTENCES,
# the same slots in the same order), so that a unit with codes says only its codes.
TOPICS: dict[str, list[str]] = {
    "bystander_response": ["the report I made after that shift", "stepping in at handover", "the remark I challenged"],
    "reprisal_worry": ["the complaint I never sent", "my worries about the sign-off", "the fear of being marked down"],
    "naming_microaggressions": ["the everyday comments", "the remarks about my hair", "the list of slights I kept"],
    "shift_allies": ["the nurse who backed me up", "the support I had on that shift", "the allies on the ward"],
    "identity_affirmed": [
        "the workshop on culture and care",
        "the skin assessment session",
        "speaking my own languages on placement",
    ],
    "peer_circle": ["our Thursday debriefs", "the peer circle", "the group chat we started"],
    "made_the_token": ["the prospectus photos", "the diversity panel", "the open-day stall"],
    "alone_on_the_ward": [
        "being the only one on the unit",
        "the lonely weeks on that placement",
        "the isolation of the community placement",
    ],
    "union_campaign": ["the union motion", "the campaign stall", "the teach-in"],
    "chairing_a_group": ["the group I chair", "the network I founded", "the monthly forum"],
    "interpreter_access": ["the interpreter campaign", "the translated leaflet", "the push for booked interpreters"],
    "teaching_materials": ["the skin-tone photo set", "the new case studies", "the reading list we wrote"],
    "unpaid_emotional_labour": ["all the unpaid hours", "the work nobody counts", "the messages I answer every night"],
    "running_on_empty": ["stepping down from the group", "the burnout", "the term I dropped out of everything"],
    "money_worries": ["the cost of travel", "the shifts I lost", "the childcare on meeting days"],
    "online_pile_on": ["the comments after our post", "the abuse online", "the screenshots people shared"],
}

PII_ON_TOPIC: list[list[str]] = [
    [
        "I still have the message {titled} sent me about {topic}.",
        "{titled} sent me a message about {topic} that I have kept.",
    ],
    [
        "{first} stayed behind to help me write up {topic}.",
        "{first} was the one who kept {topic} going when I could not.",
    ],
    [
        "It was {poss} idea to take {topic} to the practice educator.",
        "Looking back, {topic} was {poss} idea more than mine.",
    ],
    [
        "Everyone involved in {topic} called her {surname}, never by her first name.",
        "When {topic} came up, the staff called her {surname} and nothing else.",
    ],
    [
        "It all began at {inst}, where {topic} first came up.",
        "The placement at {inst} is where {topic} started for me.",
    ],
    [
        "I grew up near {place}, which is partly why {topic} matters to me.",
        "Growing up near {place} shaped how I think about {topic}.",
    ],
    ["If anyone wants the notes on {topic}, email {email}.", "Anything about {topic} can go to {email}."],
    [
        "Her mobile is {phone}, and she is the person to ask about {topic}.",
        "For {topic} she gave us her mobile, {phone}, but asked us not to share it.",
    ],
    ["The toolkit on {topic} is up at {url} for anyone who needs it.", "We put everything about {topic} at {url}."],
    ["We put the reading on {topic} at {bare_url} for the next cohort.", "Notes on {topic} are at {bare_url} now."],
    ["Follow {handle} for news about {topic}.", "Updates on {topic} go out from {handle}."],
    [
        "The form about {topic} had her full details on it, born {dob_long}, as if that mattered.",
        "Even the write-up of {topic} listed her date of birth, {dob_long}.",
    ],
    [
        "The referral about {topic} listed DOB {dob_iso} and nothing about what actually happened.",
        "The letter on {topic} gave DOB {dob_iso} but left out the part that mattered.",
    ],
    [
        "The complaint about {topic} quoted his date of birth, {dob_slash}, and his home address.",
        "Somebody's notes on {topic} included his date of birth, {dob_slash}.",
    ],
    [
        "During {topic} he read out my student number, {student}, in front of everyone.",
        "My student number, {student}, ended up on the sheet about {topic}.",
    ],
    [
        "While we were dealing with {topic}, the patient's notes, MRN {mrn}, were left open at the station.",
        "The notes we looked at for {topic}, MRN {mrn}, were left open on the desk.",
    ],
    [
        "Her health number, {nhi}, was on the whiteboard the day {topic} came up.",
        "In the middle of {topic}, her health number, {nhi}, sat on the whiteboard all morning.",
    ],
    [
        "In the group chat {lower} just wrote that we should all go to {topic} together.",
        "It was {lower} who posted about {topic} in the group chat first.",
    ],
    [
        "The sheet about {topic} said {upper} in block capitals.",
        "The sign-off sheet for {topic} said {upper} in block capitals.",
    ],
    [
        "{full} from the year above said the same thing happened to her with {topic}.",
        "{full} from the year above helped me think through {topic}.",
    ],
    ["We drove out to {inst} near {place} for {topic}.", "For {topic} we went out to {inst} near {place}."],
]


def pii_on_topic(template: str, code: str, n: int) -> str:
    """The n-th use (from 0) in a study of the identifier sentence ``template`` beside a
    sentence about ``code``: a wording with the same slots in the same order that speaks
    of one of the code's topics; never the same sentence twice."""
    variants = PII_ON_TOPIC[PII_SENTENCES.index(template)]
    topics = TOPICS[code]
    shift = sorted(TOPICS).index(code)
    written = [
        variants[(k + shift) % len(variants)].replace("{topic}", topics[k // len(variants)])
        for k in range(len(variants) * len(topics))
    ]
    if n < len(written):
        return written[n]
    return _compose([written[n % len(written)]], 1 + n // len(written))


QUESTIONS = [
    "Could you walk me through the placement you mentioned in the survey?",
    "What happened next, after you noticed it?",
    "Who did you turn to, if anyone?",
    "Did the workshop change how you handled it?",
    "What did it cost you, doing this?",
    "How did your assessor or mentor react?",
    "Is there anything the university should have done differently?",
    "Where do you see yourself with this work next year?",
    "What keeps you going with it?",
    "How do the other students in your cohort talk about it?",
]

CLOSINGS = [
    "That is everything I wanted to ask; thank you for your time.",
    "Thanks, that is really helpful, we can stop the recording there.",
]

DOCUMENT_GENRES = ["reflective_log", "newsletter", "open_letter", "meeting_notes"]

# Frames (heading, first and last paragraphs, never coded) of each genre: the k-th
# document of a genre in a study takes the k-th (from the first again past the last).
DOCUMENT_FRAMES = {
    "reflective_log": [
        ("Reflective log entry", "Written for the placement portfolio; shared with permission.", "End of entry."),
        (
            "Reflective log, week six",
            "Shared with the network with the writer's consent.",
            "To be discussed at supervision.",
        ),
        ("Reflection on practice", "An entry from a third-year placement diary.", "Entry closed."),
        (
            "Placement reflection",
            "Written after a night shift and edited the next day.",
            "Reviewed with my practice supervisor.",
        ),
    ],
    "newsletter": [
        (
            "Network newsletter",
            "News from the student anti-racism network this month.",
            "Next issue after the spring placements.",
        ),
        (
            "Network bulletin",
            "What the network has been doing since the last bulletin.",
            "Send us your news for the next bulletin.",
        ),
        (
            "Termly update",
            "A short round-up for members and friends of the network.",
            "Thanks to everyone who wrote in.",
        ),
        (
            "Members' newsletter",
            "Our second newsletter of the year.",
            "The next newsletter will follow the exam period.",
        ),
    ],
    "open_letter": [
        (
            "Open letter to the head of school",
            "We write as students of nursing and midwifery.",
            "We look forward to a written reply within four weeks.",
        ),
        (
            "Open letter to the placement providers",
            "This letter is signed by students from all three campuses.",
            "We would welcome a meeting to discuss these points.",
        ),
        (
            "Open letter to the university",
            "We are writing on behalf of students who could not put their names to this.",
            "Replies may be sent to the network's officers.",
        ),
        (
            "Open letter to the practice educators",
            "Students from every year group contributed to this letter.",
            "We ask that this letter be shared with every placement area.",
        ),
    ],
    "meeting_notes": [
        (
            "Notes of the network meeting",
            "Present: eight students and one lecturer; notes taken in turn.",
            "Date of the next meeting to be confirmed by e-mail.",
        ),
        (
            "Notes of the open meeting",
            "Present: eleven students; no staff attended.",
            "Actions to be checked at the next meeting.",
        ),
        (
            "Notes of the planning meeting",
            "Present: the officers and two new members.",
            "The meeting closed after an hour.",
        ),
        (
            "Notes of the termly meeting",
            "Present: fourteen students and two lecturers.",
            "Notes to be circulated within a week.",
        ),
    ],
}
PLATFORMS = {"newsletter": ["Substack", "the network's mailing list"], "open_letter": ["Medium"]}

# --------------------------------------------------------------------------- planted identities
# Invented people: given names and surnames grouped by region so that most pairs are
# plausible; a few invented surnames are paired across regions.
NAMES = {
    "southern_africa": (
        ["Sindisiwe", "Kgomotso", "Ntombizodwa", "Bongumusa"],
        ["Shabangu", "Mahlangu-Khoza", "Letsoalo"],
    ),
    "west_africa": (
        ["Oyinkansola", "Ifeyinwa", "Ebunoluwa", "Sekou"],
        ["Okparaeke", "Ezeugwu", "N'Diaye", "Odukoya-Cole"],
    ),
    "east_africa": (
        ["Nyokabi", "Tsehay", "Kiprono", "Nafula"],
        ["Wambugu", "Gebremedhin", "Ochieng-Baraka", "Kipchumba"],
    ),
    "central_asia": (["Aruzhan", "Nursultanbek", "Zhansaya", "Bekzat"], ["Zhakupov", "Tolegenuly", "Baimukhanbetova"]),
    "east_asia": (
        ["Enkhjargal", "Tumurbaatar", "Jia-Wen", "Ha-eun", "Yuzuki"],
        ["Tsogtbaatar", "Hwangbo", "Nakagawa", "Enkhjargal"],
    ),
    "south_east_asia": (
        ["Siriporn", "Kittisak", "Dewi", "Maricel", "Khanh", "Sokha"],
        ["Wongsakul", "Setiawan", "Dimaculangan", "Quach"],
    ),
    "pacific": (
        ["Siaosi", "Tamati", "Salote", "Akanesi", "Kalolaine"],
        ["Taufahema", "Raikadroka", "Fonohema", "Mateaki-Lolohea"],
    ),
    "latin_america": (
        ["Yaretzi", "Araceli", "Itzayana", "Nayeli"],
        ["Huarachi", "Villanueva-Ortiz", "Quispicusi", "Ticonipa"],
    ),
    "eastern_europe": (
        ["Ludmila", "Miroslava", "Bogdan", "Radomir", "Yaryna"],
        ["Hrabovsky", "Petrenko", "Dragomirescu", "Szczepańczyk"],
    ),
    "ireland": (
        ["Oisín", "Ruairí", "Gráinne", "Éabha", "Fionnuala"],
        ["O'Donovan", "Breathnach", "Mac Con Uladh", "Ní Chonchúir"],
    ),
    "arab_world": (
        ["Yousra", "Marwan", "Muhannad", "Hiba", "Ghassan", "Lujain"],
        ["Al-Rashid", "El-Masri", "Al-Khouri", "Abu Ghazaleh", "Al-Zubaidi"],
    ),
    "invented": (["Tovanna", "Quillon"], ["Brindlemaw", "Tallowfen", "Drevnik", "Varnasse", "Quenby-Throssel"]),
}
# People who must be planted in full (an apostrophe surname, a hyphenated surname
# and a hyphenated given name).
MUST_PLANT = [("Gráinne", "O'Donovan"), ("Yousra", "Al-Rashid"), ("Jia-Wen", "Hwangbo")]

TITLES = ["Dr", "Prof.", "Mx", "Sister", "Dra.", "Matron", "Mr", "Ms", "Charge Nurse"]

INSTITUTIONS = [
    "Hôpital Saint-Aubert de Valmorin",
    "Universidad Autónoma de Cerrobajo",
    "Klinikum Hohenbrackel",
    "Ospedale San Telmo di Varzano",
    "Szpital Miejski w Lipnicach",
    "Hospital Regional de Itaporanga do Sul",
    "Ziekenhuis Rijnmarken",
    "Centro de Salud Los Arrayanes",
    "Mustashfa al-Wadi al-Akhdar",
    "Bệnh viện Đa khoa Hòa Vinh",
    "Kilcarrow Community Nursing Unit",
    "St Brigid's Infirmary",
    "Tuimavua Health Centre",
    "Karasuyak Regional Polyclinic",
]
PLACES = [
    "Kilcarrow",
    "Valmorin",
    "Cerrobajo",
    "Karasuyak",
    "Tuimavua",
    "Lipnica Dolna",
    "Hohenbrackel",
    "Ballyfearna",
    "Wadi Qirsh",
    "Matahiwi Bay",
]
EMAIL_DOMAINS = [
    "hopital-valmorin.fr",
    "klinikum-hohenbrackel.de",
    "cerrobajo.edu.mx",
    "kilcarrow-nursing.ie",
    "tuimavua-health.org.fj",
    "quaymail.example",
]
URLS = [
    "https://www.valmorin-sante.fr/stages",
    "http://cerrobajo.edu.mx/enfermeria/taller",
    "https://talkback-placement.org/toolkit",
]
BARE_URLS = [
    "kilcarrow-nursing.ie/rota",
    "www.hohenbrackel-klinikum.de/pflege",
    "tuimavua-health.org/page",
    "moorland-midwives.net/reading",
]
HANDLES = ["@talkback_placement", "@moorland_midwives", "@quayside_nurse_network", "@estuary_students4equity"]
PHONE_FORMATS = [
    "+353 87 {b} {c}",
    "+27 82 {b} {c}",
    "+52 55 {c} {c2}",
    "+48 601 {b} {b2}",
    "+64 21 {b} {c}",
    "+966 5{a} {b} {c}",
    "0{a}{a2} {b} {c}",
]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

# Public names the text may mention: not identifying (deidentify.allowed).
PUBLIC_NAMES = ["Audre Lorde", "Mary Seacole"]

# --------------------------------------------------------------------------- study description
SITES = ["Quayside", "Moorland", "Estuary"]
SITE_PREFIX = {"Quayside": "QY", "Moorland": "MO", "Estuary": "ES"}
ARMS = ("waitlist", "workshop")  # control, intervention
CODERS = ("rk", "mt")
GENDERS = {"woman": 0.72, "man": 0.22, "non-binary": 0.06}
ETHNICITIES = {
    "African": 0.2,
    "Asian": 0.22,
    "European": 0.3,
    "Latin American": 0.08,
    "Middle Eastern": 0.1,
    "Pacific": 0.1,
}

TITLE = (
    "Talking back on placement: a waitlist-controlled study of an anti-racism workshop for "
    "nursing and midwifery students (SYNTHETIC data set)"
)
AUTHORS: list[dict] = [
    {
        "name": "Perpetua Anwuli Redgrave",
        "affiliation": "School of Nursing and Midwifery, University of the "
        "Western Estuary (fictional; invented for a synthetic data set)",
        "email": "p.redgrave@uwe-synthetic.example",
        "corresponding": True,
    },
    {
        "name": "Tobiah Kesterwin",
        "affiliation": "Centre for Health Equity, University of the Western Estuary "
        "(fictional; invented for a synthetic data set)",
    },
    {
        "name": "Rangi K. Thornbury",
        "affiliation": "Moorland Campus Library (fictional; invented for a synthetic data set)",
    },
]
SETTING = "three campuses (Quayside, Moorland, Estuary) of a fictional university's school of nursing and midwifery"
PERIOD = "September 2023 to March 2024"
KEYWORDS = [
    "nursing education",
    "midwifery",
    "anti-racism",
    "clinical placement",
    "bystander intervention",
    "waitlist control",
    "synthetic data",
]
DESIGN_FEATURES = {
    "allocation": "students chose a workshop cohort by timetable; those without a place formed the waitlist "
    "(not randomised)",
    "intervention": "four two-hour workshops on responding to racism on clinical placement",
}

# The wording of the survey items (dataset.yaml ``items``); a study draws 3-5
# cultural-competence and 2-3 support items and uses the first of each list. Long on
# purpose: the figures must wrap them.
ITEM_WORDING = {
    "cc_1": "When a woman in labour and I do not share a first language, I know how to arrange "
    "an interpreter and check that she has understood her options",
    "cc_2": "I can name two ways in which structural racism shows in maternity outcomes in this country",
    "cc_3": "I notice when my assumptions about a patient's family or faith steer the questions I ask",
    "cc_4": "I feel able to adapt a care plan to a patient's dietary, religious or cultural needs "
    "without waiting for a senior colleague",
    "cc_5": "I could explain to a fellow student why 'treating everyone the same' can widen inequities",
    "support_1": "If I reported a racist remark made on placement, I trust that my university would follow it up",
    "support_2": "My personal tutor would support me in raising equity concerns with a placement provider",
    "support_3": "The school sets aside timetabled time for student-led equity work",
}
