"""Build tests/checkers/corpus.jsonl, the labelled evaluation corpus for the voice checker and the scanner.

Run once (``.venv/bin/python tests/checkers/make_corpus.py``) and commit the output; the tests read
the committed file, never this script. Every name, number, address and code name is synthetic.

Labels come from how each draft is written, never from running the checkers:

* sensitive spans are marked up in the source as ``[[kind|value]]``;
* voice labels are the rule ids the guide says a draft breaks (hand-written drafts: written next
  to the draft; templated drafts: the frame's own labels plus the side effects of the inserted
  value, e.g. a product name on LinkedIn needs the employment disclosure).

``reading.grade`` is a formula, not a judgement: it is unit-tested against worked examples and left
out of the corpus labels (the corpus test ignores it).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

OUT = Path(__file__).with_name("corpus.jsonl")
SEED = 20260214
MARK = re.compile(r"\[\[([a-z_]+)\|(.+?)\]\]", re.DOTALL)
KINDS = ("email", "phone", "payment_card", "account_number", "ticket_number", "street_address",
         "code_name", "unreleased_product", "customer_name", "confidential_marker")
SOCIAL = ("linkedin", "x", "facebook")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def parse(source: str) -> tuple[str, list[dict]]:
    """Strip the ``[[kind|value]]`` marks; return the text and the labelled spans."""
    out, spans, pos = [], [], 0
    length = 0
    for m in MARK.finditer(source):
        before = source[pos : m.start()]
        out.append(before)
        length += len(before)
        kind, value = m.group(1), m.group(2)
        assert kind in KINDS, kind
        if kind == "payment_card":
            assert luhn_ok(re.sub(r"\D", "", value)), value
        spans.append({"kind": kind, "start": length, "end": length + len(value)})
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(source[pos:])
    return "".join(out), spans


# -- hand-written drafts: (channel, text with marks, voice rules) ------------------------------

HAND: list[tuple[str, str, list[str]]] = [
    # internal network
    ("internal_network", "Great turnout at the warehouse charity bake sale today! Thank you to everyone who baked, "
     "bought or helped clear up.", []),
    ("internal_network", "Heads up: the new expenses app goes live for all staff on Monday. Guides are on the HR page: "
     "https://brightwater.example/hr/expenses", []),
    ("internal_network", "Can anyone help? [[customer_name|Oakridge Garden Centre]] say their last delivery to "
     "[[street_address|14 Mill Lane, Leeds LS6 2QT]] was short by two pallets.", []),
    ("internal_network", "Project update: [[code_name|Project Nightjar]] is on track for the spring. More soon!", []),
    ("internal_network", "We are SO PROUD of the Leeds team!!! 🎉🎉🎉🎉",
     ["tone.shouting", "tone.exclamations", "tone.emoji"]),
    ("internal_network", "Slides from today's town hall are here: bit.ly/bw-townhall (ask me if the link does not "
     "open).", ["links.shortened"]),
    ("internal_network", "[[confidential_marker|CONFIDENTIAL]] - Q3 margin by region attached. Please don't share "
     "outside the leadership group.", ["tone.shouting"]),
    ("internal_network", "Moving forward we will leverage our synergies to utilise the new warehouse space.",
     ["words.jargon_going_forward", "words.jargon_leverage", "words.utilise"]),
    ("internal_network", "Who has the key for the Bradford van? It was last seen near the loading bay.", []),
    ("internal_network", "Welcome to Anwen, who joins the Harrogate store as deputy manager this week. Say hello if "
     "you see her!", []),
    ("internal_network", "Reminder: the fire alarm test is at 11:00 on Wednesday. No need to leave the building.", []),
    ("internal_network", "#LeedsWarehouse #SafetyFirst #TeamBrightwater #Wellbeing thanks all for a great safety week",
     ["tone.hashtags"]),
    ("internal_network", "Link to the stock report: "
     "https://brightwater.example/reports/stock?utm_source=connect&utm_medium=post", ["links.tracking"]),
    ("internal_network", "Our 5 Leeds stores raised £2,340 for the food bank in March. Thank you!", []),
    ("internal_network", "The [[unreleased_product|FlowPod Mini]] samples arrived today and they look great.", []),
    ("internal_network", "Leeds office: the car park at 1 Canal Wharf will be closed on Saturday for resurfacing.", []),
    ("internal_network", "If a customer calls the helpline on 0808 157 0192 about the recall, please log it in the "
     "case system.", []),
    ("internal_network", "Ευχαριστώ πολύ! Thank you to our visitors from the Athens office 🇬🇷", []),
    ("internal_network", "Nightjars were spotted on the nature walk behind the Otley depot. Lovely evening!", []),
    ("internal_network", "I'm confident the new rota will help. Thanks for your patience, everyone.", []),
    # team chat
    ("team_chat", "Can someone call [[customer_name|Jolyon Strick]] back on [[phone|07700 900417]]? He rang about a "
     "late order.", []),
    ("team_chat", "Case [[ticket_number|CS-482913]] is still open, can you take it?", []),
    ("team_chat", "Stand-up moves to 10:00 tomorrow.", []),
    ("team_chat", "Has anyone seen the returns form for [[ticket_number|RMA-204733]]? The customer is at "
     "[[street_address|7a Orchard Close, Harrogate]].", []),
    ("team_chat", "ANYONE free to cover the till at 2??? 🙏", ["tone.shouting"]),
    ("team_chat", "Done!! Thanks for the help 😀😀", []),
    ("team_chat", "Ugh!!! the printer is jammed again", ["tone.exclamations"]),
    ("team_chat", "Sorry, I'll be 10 mins late, train delayed.", []),
    ("team_chat", "Her card was declined, she read me [[payment_card|4111 1111 1111 1111]] - can you check it on "
     "the terminal?", []),
    ("team_chat", "#urgent can someone check the van rota", ["tone.hashtags"]),
    ("team_chat", "Order for [[customer_name|Pebblestone Hotels]] needs to go out today, account "
     "[[account_number|BW-31177402]].", []),
    ("team_chat", "Let's circle back on this after lunch", ["words.jargon_circle_back"]),
    ("team_chat", "lol yes that was me", []),
    ("team_chat", "Link's here: https://brightwater.example/rota?utm_source=chat", []),
    ("team_chat", "Calling [[phone|+44 113 496 0781]] now", []),
    ("team_chat", "Встреча в 10:00, не опаздывайте", []),
    ("team_chat", "Can you call [[customer_name|Bjo\u0308rn Easterbrook]] back? His parcel is at the depot.", []),
    ("team_chat", "Pallet count for Bradford is 1,240 and the van leaves at 16:45", []),
    ("team_chat", "The barcode on the box is 5012345678900, can you look it up?", []),
    ("team_chat", "Who's got CS-48291? Looks like a digit is missing from that case number", []),
    # email
    ("email", "Hi Sam,\n\nThanks for your order. It left our Leeds warehouse today and should reach you on Thursday."
     "\n\nBest wishes,\nKit Harrowby\nCustomer Care, Brightwater Supplies", []),
    ("email", "Dear valued customer,\nWe apologise for any inconvenience caused. Kindly reach out to us at "
     "[[email|returns.team@brightwater.example]] as per our policy.",
     ["words.dear_valued_customer", "words.canned_apology", "words.formal_kindly", "words.jargon_reach_out"]),
    ("email", "Hi Ifeoma,\nPlease find attached the invoice for March.\nThanks,\nNell", ["words.formal_kindly"]),
    ("email", "Hi all,\nThe price list for the trade show is attached. It is "
     "[[confidential_marker|commercial in confidence]], so please keep it to the sales team.\nThanks, Rafe", []),
    ("email", "Hello,\nYour refund of £45.99 for order 55501234 was sent today. It can take 3 to 5 working days to "
     "arrive.\nKind regards,\nAnwen", []),
    ("email", "Hi Bram,\nThe customer's address is [[street_address|Flat 3, 27 Harbour View Road]] and her phone is "
     "[[phone|0161 496 0789]].\nCosmo", []),
    ("email", "Hi team, URGENT: the system is down!! Please use the paper forms until further notice.",
     ["tone.shouting", "tone.exclamations"]),
    ("email", "Hi Lowri,\nCould you send the signed contract to me by 3pm today? Thanks, Teo", []),
    ("email", "Hi Fenella, I'll touch base next week whilst I'm in Bradford. Cosmo",
     ["words.jargon_circle_back", "words.whilst"]),
    ("email", "Hi Ottilie,\nHere is the link for the webinar: https://tinyurl.com/bw-webinar-2026\nBram",
     ["links.shortened"]),
    ("email", "Hello,\nThis is the cheapest option and it is guaranteed to arrive by Friday.\nThanks, Kit",
     ["words.cheap", "words.unprovable_claims"]),
    ("email", "Hi Zofia,\nYou should have read the terms before you ordered.\nRafe", ["words.calm_down"]),
    ("email", "Hi Jo,\n[[customer_name|Caspian Threlkeld]] paid with [[payment_card|5555 5555 5555 4444]] and wants "
     "a refund to the same card. Can you process it?\nNell", []),
    ("email", "Hi Cosmo,\nThe meeting notes are below 👍 See you Thursday.\nAnwen", []),
    ("email", "Hi all,\nPlease note the new [[unreleased_product|HydroVault]] spec is "
     "[[confidential_marker|not for external distribution]].\nFenella", []),
    ("email", "Hi Anaïs,\nYour parcel is at the Leeds depot and our driver will bring it on Monday.\nKit", []),
    ("email", "Hi Teo,\nYou can pay by bank transfer: sort code 20-00-00, reference INV 2026-0412.\nThanks, Nell", []),
    ("email", "Hi Marisol,\nThe tracking number is JD014600003828 and the courier says Tuesday.\nKit", []),
    ("email", "Hello,\nOur office at 210 Harbour Road is open 9am to 5pm, and you can write to "
     "help@brightwater.example any time.\nBrightwater Customer Care", []),
    # LinkedIn
    ("linkedin", "Three things I learned about packing fragile orders safely: pad every corner, test-drop one box a "
     "week, and ask the drivers what breaks. #logistics #warehouse", []),
    ("linkedin", "Our new AquaCrate range is in stock now. Perfect for busy kitchens! #AquaCrate",
     ["required.employment_disclosure"]),
    ("linkedin", "Our new AquaCrate range is in stock now. I work at Brightwater and I'm proud of the team behind "
     "it. #BrightwaterEmployee", []),
    ("linkedin", "Leveraging synergies across our supply chain to deliver world-class value. #leadership",
     ["words.jargon_leverage", "words.unprovable_claims"]),
    ("linkedin", "Excited to share that I have joined Brightwater Supplies as a buyer in Leeds!", []),
    ("linkedin", "Sneak peek: the [[unreleased_product|AquaCrate Max]] is coming this summer. "
     "#BrightwaterEmployee", []),
    ("linkedin", "Huge thanks to [[customer_name|Harbourview Cafés]] for choosing us as their supplier this year.", []),
    ("linkedin", "Hiring! We're looking for warehouse team leaders in Leeds and Bradford. Apply here: "
     "https://brightwater.example/careers?utm_source=linkedin&utm_campaign=hiring", ["links.tracking"]),
    ("linkedin", "#retail #supplychain #logistics #leeds #yorkshire #jobs Great to meet so many people at the trade "
     "show.", ["tone.hashtags"]),
    ("linkedin", "What a week 🎉🚚📦🙌 Thanks to everyone at the Bradford depot.", ["tone.emoji"]),
    ("linkedin", "So proud of our team. 20% off all ClearFlow filters this weekend, shop now!",
     ["required.employment_disclosure"]),
    ("linkedin", "omg what a day at the trade show lol", ["words.chat_slang"]),
    ("linkedin", "Reach out if you want to talk about careers in logistics.", ["words.jargon_reach_out"]),
    ("linkedin", "Delighted to welcome [[customer_name|Quayside Hospitality Group]] as a new trade customer. "
     "#BrightwaterEmployee", []),
    ("linkedin", "My notes from today's panel on plastic-free packaging are on my blog.", []),
    ("linkedin", "Ten years at Brightwater today. Thank you to everyone who made the Leeds warehouse such a good "
     "place to work.", []),
    ("linkedin", "Contact our press office at press@brightwater.example for interviews about the new depot.", []),
    # X
    ("x", "Busy morning at the Leeds store. Thanks for the smiles, everyone.", []),
    ("x", "WE ARE OPEN late this Friday!!! Come and see us.", ["tone.shouting", "tone.exclamations"]),
    ("x", "Our EverDry towels are back in stock now. #BrightwaterEmployee", []),
    ("x", "Our EverDry towels are back in stock now! Grab yours before they go.", ["required.employment_disclosure"]),
    ("x", "Spring is here. #garden #spring #outdoors", ["tone.hashtags"]),
    ("x", "Read our spring guide: https://bit.ly/bw-spring", ["links.shortened"]),
    ("x", "Sunny day in Leeds ☀️☀️☀️", ["tone.emoji"]),
    ("x", "Proud of the team. Great work. See you all tomorrow. Time for tea.", ["length.sentences"]),
    ("x", "Can't say much yet but [[code_name|Bramblegate]] is going to be big 👀", []),
    ("x", "Thanks [[customer_name|Wenonah Brisk]] for the lovely review!", []),
    ("x", "Me at 7am: coffee. Me at 7.05am: more coffee.", []),
    ("x", "Meet us at 48 Market Street this Saturday for the spring fair.", []),
    ("x", "New year, new range: the [[unreleased_product|TerraLite]] garden set lands soon",
     ["required.employment_disclosure"]),
    ("x", "Café au lait et croissants pour l'équipe ☕🥐", []),
    ("x", "ΕΥΧΑΡΙΣΤΟΥΜΕ ΠΟΛΥ", ["tone.shouting"]),
    ("x", "Top 5 tips for a tidy shed, from our Otley store team. Number 3 will surprise you.", []),
    ("x", "Gutted to miss the match tonight, working late at the depot 😩", []),
    ("x", "Call us on 0808 157 0192 if your order has not arrived.", []),
    # Facebook
    ("facebook", "Who's coming to the Leeds store summer fair? Face painting, cake and a raffle for the hospice. "
     "See you there!", []),
    ("facebook", "Check out our new range of FlowPod planters, on sale now at brightwater.example/shop",
     ["required.employment_disclosure"]),
    ("facebook", "Check out our new range of FlowPod planters, on sale now at brightwater.example/shop "
     "#BrightwaterEmployee", []),
    ("facebook", "BIG NEWS!!!! 🎉🎉🎉🎉🎉", ["tone.shouting", "tone.exclamations", "tone.emoji"]),
    ("facebook", "Happy birthday to my lovely colleague Nell from all of us in Harrogate 🎂", []),
    ("facebook", "Lost: a blue lunch bag near the Bradford depot. It has my name on it!", []),
    ("facebook", "So sorry to hear about [[customer_name|Saoirse Penhallow]]'s delivery, she lives at "
     "[[street_address|102 Kestrel Avenue]] and it was left in the rain.", []),
    ("facebook", "Cheap garden chairs this weekend only! #garden #summer #sale #deals",
     ["words.cheap", "tone.hashtags"]),
    ("facebook", "Ask me about the [[code_name|Quillon]] trial if you see me at the fair", []),
    ("facebook", "Our helpline is open 8am to 8pm on 0808 157 0192.", []),
    ("facebook", "Phone me on [[phone|07700 900982]] if you want a lift to the fair", []),
    ("facebook", "Our copper kettle finally gave up after twenty years of office tea. RIP.", []),
    ("facebook", "Guess who is running the Leeds 10k for the hospice? Sponsor me at "
     "https://www.justgiving.example/page/kit-runs", []),
    # customer care replies
    ("customer_care_reply", "@sam_k Sorry your delivery is late. We have checked and it will be with you tomorrow. "
     "^JM", []),
    ("customer_care_reply", "@tomfield We apologise for any inconvenience. ^KH", ["words.canned_apology"]),
    ("customer_care_reply", "@ruthie_b Sorry about that! Please send us a DM with your order number and we will "
     "sort it. ^NA", []),
    ("customer_care_reply", "Sorry to hear that. Please DM us your order number. ^JM", ["required.care_handle"]),
    ("customer_care_reply", "@bryony_l Sorry to hear that. Please DM us your order number.",
     ["required.care_signoff"]),
    ("customer_care_reply", "@kev_92 Brightwater is sorry about the mix-up. We will refund you today. ^RC",
     ["tone.first_person_plural"]),
    ("customer_care_reply", "@jess_m I can see your account [[account_number|BW-20418873]] and the refund went out "
     "today. ^KH", []),
    ("customer_care_reply", "@dan_p Your case number is [[ticket_number|CS-771204]], we will call you on "
     "[[phone|07700 900556]] today. ^NA", []),
    ("customer_care_reply", "@amy_r Please calm down, we are doing our best. ^JM", ["words.calm_down"]),
    ("customer_care_reply", "@marco_t Sorry! We will fix it ASAP. ^RC", ["words.asap"]),
    ("customer_care_reply", "@lee_w Full details here: bit.ly/bw-help ^JM", ["links.shortened"]),
    ("customer_care_reply", "@priya_s So sorry!!! We will sort it 🙏🙏 ^KH", ["tone.exclamations", "tone.emoji"]),
    ("customer_care_reply", "@hana_o Thanks for letting us know. We have passed it to the Leeds store manager. ^NA",
     []),
    ("customer_care_reply", "@olly_j We're on it. #customerservice ^JM", ["tone.hashtags"]),
    ("customer_care_reply", "@gina_d WE ARE SORRY. ^JM", ["tone.shouting"]),
    ("customer_care_reply", "@zac_h Sorry, we cannot share that. The new [[unreleased_product|FlowPod Mini]] launch "
     "date is not public yet. ^RC", []),
    ("customer_care_reply", "@mel_c Thanks for your patience. Our team will email you at "
     "[[email|mel.c@mailbox.example]] today. ^KH", []),
    ("customer_care_reply", "@sue_v Your order went to [[street_address|55 Bramley Street, Leeds LS12 4RX]], is that "
     "right? ^JM", []),
    ("customer_care_reply", "@ben_a You can reach us on 0808 157 0192, any time from 8am to 8pm. ^NA", []),
    ("customer_care_reply", "@will_g Sorry about the wait. Our team will be in touch within a day. Thanks for "
     "bearing with us. We will keep you posted. We hope to hear from you. ^RC", ["length.sentences"]),
    ("customer_care_reply", "@cat_f Sorry, use this link to track it: "
     "https://brightwater.example/track?utm_source=x ^JM", ["links.tracking"]),
    ("customer_care_reply", "@ian_k Please never share card details like [[payment_card|4012 8888 8888 1881]] in "
     "public, we have hidden your post. ^NA", []),
    ("customer_care_reply", "@mía_q ¡Gracias! Lo revisamos hoy. ^JM", []),
    ("customer_care_reply", "@rob_t Brightwater will never ask for your password. Stay safe! - Kit", [
        "tone.first_person_plural"]),
    ("customer_care_reply", "@fi_n Thanks! Your order left Leeds today 🚚 ^NA", []),
]


# Hard cases, labelled by what they are, whatever the scanner makes of them: camel-case hashtags,
# addresses typed in lower case or by house name, words that are also code names, "confidential"
# used innocently, reference numbers shaped like phone numbers, odd formatting.
HARD: list[tuple[str, str, list[str]]] = [
    ("x", "Big things coming with #[[code_name|ProjectNightjar]] 👀", []),
    ("linkedin", "First look at the #[[unreleased_product|AquaCrateMax]] prototype. #BrightwaterEmployee", []),
    ("team_chat", "can someone drop the parcel at [[street_address|14 mill lane]] on your way home", []),
    ("team_chat", "The customer is at [[street_address|Rose Cottage, Mill Lane, Otley]], the driver can't find it", []),
    ("internal_network", "We heard a nightjar on the evening walk at the Otley depot. Magical!", []),
    ("internal_network", "Our counselling service is free and confidential, call the number on the HR page.", []),
    ("email", "Hi Kit,\nInvoice 0045127788 is overdue, can you chase it?\nNell", []),
    ("team_chat", "Her number: [[phone|+44(0)7700900123]]", []),
    ("team_chat", "ring [[phone|0113.496.0555]] about the pallets", []),
    ("email", "Hi Jo,\nThe customer wrote from <[[email|ruairi.d@mailbox.example]]>, please reply today.\nNell", []),
    ("email", "Hi Rafe,\nReply to mailto:[[email|zofia.m@example.org]] with the quote.\nKit", []),
    ("team_chat", "card [[payment_card|3782-822463-10005]] was refused", []),
    ("team_chat", "[[customer_name|tamsin quarrie]] is on the phone again about her order", []),
    ("team_chat", "Order for [[customer_name|Tamsin\nQuarrie]] is ready", []),
    ("email", "Hi all,\n[[confidential_marker|Confidential]]: the Q3 plan is attached.\nFenella", []),
    ("team_chat", "acct [[account_number|bw 20418873]] has a hold on it", []),
    ("team_chat", "case #[[ticket_number|CS-482913]] needs a call back", []),
    ("team_chat", "Our VAT number is 123 4567 89 if the customer asks", []),
    ("team_chat", "Call 999 if anyone is hurt, then tell the duty manager", []),
    ("x", "Happy to help: DM us or call 0808 157 0192 ✔", []),
    ("facebook", "Lovely morning at [[customer_name|Oakridge Garden Centre]]'s open day with the kids 🌷", []),
    ("team_chat", "The new [[unreleased_product|hydrovault]] samples are in the store room", []),
    ("internal_network", "Thanks [[customer_name|Marisol Abernathy-Koh]] for the kind note to the Leeds team!", []),
    ("team_chat", "the address is [[street_address|12 Kirkgate St]]. Leeds", []),
    ("team_chat", "it's a 5 min walk from the station, 2 big road signs show the way", []),
    ("facebook", "We visited 3 rose gardens and a farm shop on the way home 🌹", []),
    ("internal_network", "Thanks to Grange Farm for the apples at the bake sale today.", []),
    ("team_chat", "Danish supplier on 0045 3312 4455, they speak English", []),
    ("email", "Hi Nell,\nThe supplier's number is [[phone|+45 3312 4455]] and they open at 8.\nKit", []),
    ("team_chat", "drop it round to the [[street_address|Old Barn, Station Road]] after 4", []),
]


# -- templated drafts --------------------------------------------------------------------------

FIRST = ["tamsin", "jolyon", "ifeoma", "ruairi", "wenonah", "saoirse", "caspian", "zofia", "kit", "nell", "rafe",
         "marisol", "odhran", "anwen", "teodor", "lowri", "fenella", "cosmo", "ottilie", "bram"]
LAST = ["quarrie", "strick", "garrow", "delacourt", "brisk", "penhallow", "threlkeld", "harrowby", "ashdown",
        "colyer", "pelletier", "abernathy", "marwood", "fairweather", "oddie", "lisle"]
DOMAINS = ["mailbox.example", "example.com", "example.org", "example.net", "harbourmail.example",
           "post.example.co.uk", "brightwater.example"]
HANDLES = ["sam_k", "tomfield", "ruthie_b", "kev_92", "jess_m", "dan_p", "amy_r", "lee_w", "hana_o", "olly_j",
           "gina_d", "mel_c", "sue_v", "ben_a", "will_g", "cat_f", "ian_k", "fi_n", "rob_t", "ada_l"]
INITIALS = ["JM", "KH", "NA", "RC", "TL", "BO"]
STREETS = [("14", "Mill Lane"), ("27", "Harbour View Road"), ("102", "Kestrel Avenue"), ("7a", "Orchard Close"),
           ("55", "Bramley Street"), ("221", "Lowther Crescent"), ("3", "Ashgrove Mews"), ("18", "Sycamore Rise"),
           ("40", "Queen's Road"), ("9", "Tanner Row"), ("61", "Foundry Walk"), ("12", "Ferry Wharf"),
           ("88", "Elmfield Terrace"), ("5", "Chapel Yard"), ("130", "Moorside Drive"), ("2", "Bishop's Court")]
TOWNS = ["Leeds", "Harrogate", "Otley", "Bradford", "York", "Wakefield"]
POSTCODES = ["LS6 2QT", "HG1 5AX", "LS21 3AB", "BD7 1DP", "YO1 7HH", "WF1 2EB"]
CODE_NAMES = ["Project Nightjar", "Nightjar", "Copperkettle", "Bramblegate", "Quillon", "Operation Lanternfish"]
UNRELEASED = ["AquaCrate Max", "FlowPod Mini", "HydroVault", "TerraLite", "Brightwater Horizon", "EverDry Ultra"]
PROMO_UNRELEASED = {"AquaCrate Max", "FlowPod Mini", "EverDry Ultra"}  # contain a released name: a promo trigger
CUSTOMERS = ["Tamsin Quarrie", "Odhran Pelletier-Vance", "Marisol Abernathy-Koh", "Jolyon Strick", "Ifeoma Garrow",
             "Ruairi Delacourt", "Wenonah Brisk", "Saoirse Penhallow", "Caspian Threlkeld", "Zofia Marchetti-Blyth",
             "Björn Easterbrook", "Anaïs Ferreday", "Oakridge Garden Centre", "Harbourview Cafés",
             "Fenwick & Daughters Hardware", "Larchmont Leisure", "Pebblestone Hotels", "Quayside Hospitality Group"]
MARKERS = [("CONFIDENTIAL", True), ("Confidential", False), ("strictly confidential", False),
           ("Internal only", False), ("INTERNAL USE ONLY", True), ("not for external distribution", False),
           ("under embargo", False), ("Embargoed", False), ("do not forward", False),
           ("commercial in confidence", False), ("Not for publication", False)]
TEST_CARDS = ["4111 1111 1111 1111", "5555 5555 5555 4444", "4012 8888 8888 1881", "3782 822463 10005",
              "6011 1111 1111 1117", "5105 1051 0510 5100", "4000 0566 5566 5556", "2223 0031 2200 3222"]


def luhn_complete(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        if luhn_ok(body + check):
            return body + check
    raise AssertionError("unreachable")


def group(digits: str, sep: str, sizes: tuple[int, ...] = (4, 4, 4, 4)) -> str:
    parts, i = [], 0
    for size in sizes:
        parts.append(digits[i : i + size])
        i += size
    if i < len(digits):
        parts.append(digits[i:])
    return sep.join(p for p in parts if p)


def values(rng: random.Random, kind: str) -> str:
    """One synthetic value of ``kind``, written the many ways people write it."""
    if kind == "email":
        first, last = rng.choice(FIRST), rng.choice(LAST)
        local = rng.choice([f"{first}.{last}", f"{first}{rng.randint(1, 99)}", f"{first[0]}.{last}",
                            f"{first}_{last}", f"{first}+orders", f"{last}.{first}"])
        address = f"{local}@{rng.choice(DOMAINS)}"
        return address.title() if rng.random() < 0.1 else address
    if kind == "phone":
        n = rng.randint(0, 999)
        return rng.choice([
            f"07700 900{n:03d}", f"07700900{n:03d}", f"+44 7700 900{n:03d}", f"0113 496 0{n:03d}",
            f"(0113) 496 0{n:03d}", f"020 7946 0{n:03d}", f"+44 (0)20 7946 0{n:03d}", f"0161 496 0{n:03d}",
            f"07700-900-{n:03d}", f"+1 202 555 01{n % 100:02d}", f"(202) 555-01{n % 100:02d}",
        ])
    if kind == "payment_card":
        if rng.random() < 0.3:
            return rng.choice(TEST_CARDS)
        digits = luhn_complete(rng, rng.choice(["4", "51", "52", "53", "54", "55"]), 16)
        return rng.choice([group(digits, " "), group(digits, "-"), digits])
    if kind == "account_number":
        d = f"{rng.randint(0, 99_999_999):08d}"
        return rng.choice([f"BW-{d}", f"BW{d}", f"BW {d}", f"bw-{d}"])
    if kind == "ticket_number":
        d = f"{rng.randint(100_000, 999_999)}"
        return rng.choice([f"CS-{d}", f"CS{d}", f"RMA-{d}", f"rma-{d}", f"RMA{d}"])
    if kind == "street_address":
        number, street = rng.choice(STREETS)
        base = f"{number} {street}"
        choice = rng.random()
        if choice < 0.3:
            return f"{base}, {rng.choice(TOWNS)}"
        if choice < 0.5:
            return f"{base}, {rng.choice(TOWNS)} {rng.choice(POSTCODES)}"
        if choice < 0.6:
            return f"Flat {rng.randint(1, 12)}, {base}"
        return base
    if kind == "code_name":
        name = rng.choice(CODE_NAMES)
        return name.lower() if rng.random() < 0.15 else name
    if kind == "unreleased_product":
        return rng.choice(UNRELEASED)
    if kind == "customer_name":
        return rng.choice(CUSTOMERS)
    if kind == "confidential_marker":
        return rng.choice(MARKERS)[0]
    raise AssertionError(kind)


# Phrases carrying one sensitive value: how each kind turns up in real drafts.
CARRIERS = {
    "email": ["email her at {v}", "his email is {v}", "send it to {v}", "contact: {v}"],
    "phone": ["call her on {v}", "his number is {v}", "ring {v} after 5", "mobile {v}"],
    "payment_card": ["the card number is {v}", "she gave card {v}", "card: {v}", "paid with {v}"],
    "account_number": ["account {v}", "her account number is {v}", "acct {v}", "on account {v}"],
    "ticket_number": ["case {v}", "ref {v}", "the case number is {v}", "see {v}"],
    "street_address": ["deliver to {v}", "she lives at {v}", "the address is {v}", "parcel for {v}"],
    "code_name": ["{v} goes live in May", "the {v} trial", "more on {v} soon", "{v} is on track"],
    "unreleased_product": ["the {v} launches soon", "samples of the {v}", "first look at the {v}",
                           "the {v} is nearly ready"],
    "customer_name": ["{v} complained again", "an order for {v}", "{v} called about the delivery",
                      "a refund for {v}"],
    "confidential_marker": ["{v}: figures attached", "({v}) plan attached", "{v} - do not share",
                            "this is {v}"],
}

# Lookalikes that must not be flagged, by the kind they resemble.
NEGATIVES = {
    "email": ["write to help@brightwater.example", "ask socialdesk@brightwater.example", "tag @sam_k",
              "see brightwater.example/contact", "the @Brightwater team", "careers@brightwater.example is open"],
    "phone": ["our helpline 0808 157 0192", "switchboard 0113 496 0000", "12,500 units", "on 14/03/2026",
              "from 09:00-17:30", "£1,299.99 each", "2019-2024", "order 55501234", "version 2.4.1",
              "pallet 0012 of 0040", "batch 2026-03-14"],
    "payment_card": ["card ending 1111", "barcode 5012345678900", "tracking 1Z999AA10123456784",
                     "order ref 4111 1111 1111 1112", "serial 1234 5678 9012 3456", "invoice 2026 0412 0099 1187"],
    "account_number": ["account BW-2041887", "SKU BW-EC200", "ref BW-204188731", "code BWC-20418873",
                       "the BW team"],
    "ticket_number": ["case CS-48291", "CSR-482913", "the RMA process", "ISO-9001", "form CS-1"],
    "street_address": ["1 Canal Wharf", "48 Market Street", "210 Harbour Road", "3 Top Tips", "our 5 Leeds stores",
                       "5 minutes from the station", "Market Street store"],
    "code_name": ["a copper kettle", "the nightjars", "lantern fish", "bramble jam", "a quill pen"],
    "unreleased_product": ["the AquaCrate", "a FlowPod", "EverDry towels", "the horizon", "our ClearFlow filter"],
    "customer_name": ["Kit Harrowby from sales", "Nell in accounts", "the Oakridge estate", "Harbourview Road",
                      "Tamsin"],
    "confidential_marker": ["I'm confident", "in confidence we trust", "our internal network",
                            "forward it to your team", "confide in a friend"],
}

# Frames per channel: text with {S} (the carrier phrase), and the voice rules the frame itself breaks.
FRAMES: dict[str, list[tuple[str, list[str]]]] = {
    "internal_network": [
        ("Quick update from the Leeds warehouse: {S}. Thanks to everyone who helped.", []),
        ("Does anyone know about this? {S}. I need it before Friday.", []),
        ("Reminder for the sales team: {S}.", []),
        ("FYI {S}. Ask me if you have questions.", []),
        ("URGENT: {S}!!", ["tone.shouting", "tone.exclamations"]),
        ("Going forward, {S}.", ["words.jargon_going_forward"]),
    ],
    "team_chat": [
        ("Can someone pick this up? {S}", []),
        ("Quick one: {S}", []),
        ("{S} - who can help?", []),
        ("Heads up, {S} 🙏", []),
        ("Please action ASAP: {S}", ["words.asap"]),
    ],
    "email": [
        ("Hi Jo,\nFor your notes: {S}.\nThanks,\nNell", []),
        ("Hi team,\nA quick note: {S}. Let me know if anything is unclear.\nRafe", []),
        ("Hello,\nAs discussed, {S}.\nKind regards,\nKit", []),
        ("Hi Bram,\nKindly note that {S}.\nCosmo", ["words.formal_kindly"]),
        ("Hi all,\nWhilst I'm away, {S}.\nAnwen", ["words.whilst"]),
    ],
    "linkedin": [
        ("A good week for the Leeds team: {S}. #logistics", []),
        ("Proud of this one: {S}. #BrightwaterEmployee", []),
        ("Lessons from the warehouse floor, {S}.", []),
        ("Exciting times, {S}!!", ["tone.exclamations"]),
    ],
    "x": [
        ("Busy day at the depot, {S}.", []),
        ("Quick update: {S}", []),
        ("Not a normal Monday: {S} 😅", []),
        ("Guess what, {S}!!!", ["tone.exclamations"]),
    ],
    "facebook": [
        ("What a day at work, {S}.", []),
        ("Sharing this with friends: {S}.", []),
        ("Has anyone else heard? {S}", []),
        ("Just saying, {S} lol", ["words.chat_slang"]),
    ],
    "customer_care_reply": [
        ("@{h} Sorry for the trouble, {S}. We are on it. ^{i}", []),
        ("@{h} Thanks for your patience, {S}. ^{i}", []),
        ("@{h} We have checked: {S}. ^{i}", []),
        ("@{h} {S}. Sorry for any inconvenience. ^{i}", ["words.canned_apology"]),
        ("@{h} Brightwater is looking into it: {S}. ^{i}", ["tone.first_person_plural"]),
    ],
}


def side_effects(kind: str, value: str, channel: str, frame: str) -> set[str]:
    """Voice rules that the inserted value itself triggers, by how the guide is written."""
    rules: set[str] = set()
    if kind == "confidential_marker" and dict(MARKERS).get(value):
        rules.add("tone.shouting")
    if channel in SOCIAL and "#BrightwaterEmployee" not in frame:
        promo = (kind == "unreleased_product" and value in PROMO_UNRELEASED)
        if promo:
            rules.add("required.employment_disclosure")
    return rules


NEGATIVE_PROMO = ("the AquaCrate", "a FlowPod", "EverDry towels", "our ClearFlow filter")


def templated(rng: random.Random) -> list[dict]:
    items = []
    channels = list(FRAMES)
    for kind in KINDS:
        for n in range(30):
            channel = channels[n % len(channels)]
            frame, frame_rules = rng.choice(FRAMES[channel])
            value = values(rng, kind)
            carrier = rng.choice(CARRIERS[kind]).replace("{v}", f"[[{kind}|{value}]]")
            if frame.index("{S}") <= 4 or frame.startswith("@{h} {S}"):
                carrier = carrier[0].upper() + carrier[1:] if not carrier.startswith("[[") else carrier
            source = frame.replace("{S}", carrier).replace("{h}", rng.choice(HANDLES)).replace(
                "{i}", rng.choice(INITIALS))
            rules = set(frame_rules) | side_effects(kind, value, channel, frame)
            items.append(("template", channel, source, sorted(rules)))
        for n, lookalike in enumerate(NEGATIVES[kind]):
            channel = channels[(n + 3) % len(channels)]
            frame, frame_rules = rng.choice(FRAMES[channel])
            source = frame.replace("{S}", lookalike).replace("{h}", rng.choice(HANDLES)).replace(
                "{i}", rng.choice(INITIALS))
            rules = set(frame_rules)
            if channel in SOCIAL and "#BrightwaterEmployee" not in frame and lookalike in NEGATIVE_PROMO:
                rules.add("required.employment_disclosure")
            items.append(("lookalike", channel, source, sorted(rules)))
    return items


def long_posts() -> list[tuple[str, str, str, list[str]]]:
    """Drafts built to break a length limit, with the limit checked here as they are built."""
    x_long = ("Today we opened the doors of our brand new Otley store and the queue went round the corner, so a "
              "huge thank you to everyone who came, to the team who worked all weekend to get the shelves ready, "
              "and to the neighbours who put up with the vans. Come and say hello any time this week.")
    assert len(x_long) > 280
    fb_long = " ".join(["We had a lovely day at the summer fair."] * 2 + [
        "The cake stall sold out by noon and the raffle raised more than we hoped.",
        "Thank you to the volunteers who set up the tables and the children who painted the signs.",
        "The dog show was the highlight for many of us, with prizes for the waggiest tail.",
        "Next year we will need more chairs and a bigger tent, and perhaps a second tea urn.",
        "If you took photos, please share them in the comments so we can all enjoy them.",
        "See you all again next summer, and thank you once more for coming along with your families."])
    assert len(re.findall(r"\S+", fb_long)) > 80
    care_long = ("@ada_l " + "We are so sorry about the mix-up with your order and we want to put it right. " * 4
                 + "^TL")
    assert len(care_long) > 280
    return [
        ("hand", "x", x_long, ["length.characters"]),
        ("hand", "facebook", fb_long, ["length.words"]),
        ("hand", "customer_care_reply", care_long, ["length.characters"]),
    ]


def build() -> list[dict]:
    """Every draft of the corpus, as the rows written to corpus.jsonl."""
    rng = random.Random(SEED)
    rows = ([("hand", c, t, r) for c, t, r in HAND] + [("hard", c, t, r) for c, t, r in HARD]
            + long_posts() + templated(rng))
    out = []
    for n, (source_kind, channel, source, rules) in enumerate(rows, start=1):
        text, spans = parse(source)
        out.append({"id": f"{channel}-{n:04d}", "source": source_kind, "channel": channel,
                    "text": text, "sensitive": spans, "voice": sorted(rules)})
    return out


def main() -> None:
    rows = build()
    with OUT.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} drafts to {OUT}")


if __name__ == "__main__":
    main()
