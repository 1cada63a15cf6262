"""Word lists and sentence templates of the WET sample (data tables: longer than a code module).

People, places and dates; the generic sentences of an article by the move they make (intro,
advice, anecdote, data, contrast, quote, closing) with `{slot}`s that `text.fill` fills; the
encyclopedia's sections; page furniture (navigation words, footers, cookie and JavaScript
notices, review pros and cons, recipe ingredients and steps, FAQ questions); the pages in other
languages; and the lines that drop a page (lorem ipsum, braces). All invented for the sample.
"""

from __future__ import annotations


def word_list(text: str) -> list[str]:
    """The `|`-separated items of `text`, stripped; empty items are left out."""
    return [w.strip() for w in text.split("|") if w.strip()]


# Lines many pages share. FOOTER: the blog network's footer, on kept articles only, so line
# dedup leaves exactly one copy of each in the corpus. NOTICE: dropped as a "javascript" line.
FOOTER = [
    "Our writers are readers first, and every story here was checked by a second pair of eyes.",
    "Subscribe to our newsletter and get new articles every week by email.",
]
NOTICE = "Please enable JavaScript in your browser settings to view this page correctly."
JS_NOTICES = [
    NOTICE,
    "You need to enable JavaScript to run this app.",
    "Comments are powered by a JavaScript widget that your browser has blocked.",
    "This map needs JavaScript, which seems to be switched off in your browser.",
]
POLICY_LINES = [
    "This website uses cookies to improve your experience.",
    "We use cookies to remember your settings and to count visits to each page.",
    "By continuing to browse the site you agree to our use of cookies.",
    "Read our privacy policy and terms of use before you continue.",
    "Our cookie policy explains which small files we store and why we store them.",
    "By signing up you accept the terms of use and confirm you are over sixteen.",
]


# --- people and places ----------------------------------------------------------------------

FIRST_NAMES = word_list(
    "Ada|Adebayo|Agnes|Aisha|Alba|Amir|Anika|Arlo|Astrid|Bea|Bram|Callum|Carys|Cecil|Dara|Delia|"
    "Desmond|Edith|Eamon|Elif|Elsie|Emeka|Esme|Ezra|Fenna|Fintan|Freya|Gideon|Greta|Hamish|Hana|"
    "Idris|Ines|Iris|Ivo|Jun|Juno|Kasia|Kofi|Lars|Leila|Linus|Lorna|Mabel|Malik|Mara|Marek|Maud|"
    "Milo|Nadia|Nell|Niamh|Noor|Odile|Olek|Orla|Otto|Priya|Quentin|Rafa|Rhiannon|Rosa|Rufus|"
    "Saoirse|Selim|Signe|Silas|Tamsin|Teodor|Thea|Tobias|Una|Vera|Wren|Yusuf|Zadie|Zora"
)
SURNAMES = word_list(
    "Abernethy|Achebe|Alder|Ashdown|Bellweather|Birchall|Blackwood|Brightwater|Calloway|Carrow|"
    "Castellan|Challis|Copperfield|Dunmore|Ellery|Fairbairn|Fenwick|Galloway|Greaves|Hallam|"
    "Harrowgate|Hawthorne|Holloway|Ibarra|Jessop|Kettleby|Kowalczyk|Lachance|Larkin|Lindqvist|"
    "Mbeki|Merriweather|Moorcroft|Nakamura|Nightingale|Oduya|Okonkwo|Pemberton|Petrakis|Quill|"
    "Ravenscroft|Rosslyn|Saltmarsh|Sandoval|Sedgwick|Sorensen|Stonebridge|Tallis|Thackeray|"
    "Treadwell|Underhill|Varga|Wainwright|Whitlock|Winterbourne|Yardley|Zielinski"
)
PLACE_STARTS = word_list(
    "Ash|Bram|Brock|Cinder|Cold|Dun|Elder|Fen|Fox|Glen|Hart|Hazel|Hollow|Kettle|Kings|Lark|"
    "Lantern|Marrow|Mill|North|Oak|Pike|Quill|Raven|Salt|Thorn|West|Wick|Yarrow|Heron"
)
PLACE_ENDS = word_list(
    "by|ham|holm|ton|ford|wick|mere|stead|field|bridge|combe|haven|dale|worth|port|gate"
)
COUNTIES = word_list("Hartshire|Fenmoor|Westmarch|Larkshire|Oldwater|the Brackenlands|Thornvale")
MONTHS = word_list(
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
WEEKDAYS = word_list("Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday")
SEASONS = word_list("spring|summer|autumn|winter")
SMALL = word_list("two|three|four|five|six|seven|eight|ten|twelve|fifteen|twenty")
ORDINALS = word_list("second|third|fourth|fifth|sixth|seventh")


# Generic sentences, by the move they make in an article. Slots as in the topics.
INTRO = word_list(
    "Every {season} I promise myself that this will be the year I finally learn to {action}.|"
    "When {person} moved to {place} in {year}, {activity} was the last thing on their mind.|"
    "There is a lot of conflicting advice about {activity}, so we asked people who do it "
    "every day.|If you have ever tried to {action} on a wet {weekday} afternoon, you will know "
    "why this guide exists.|This is the {ordinal} part of our series on {activity}, and it "
    "covers the questions readers ask most often.|A reader from {place} wrote to ask about "
    "{plural}, and the answer turned into this article.|I came to {activity} late, after "
    "years of thinking it was not for me.|For most of us, {thing} is where the trouble "
    "starts.|It has been a strange {season} for {activity} in {place}, and plenty of people "
    "have noticed.|Nobody is born knowing how to {action}, whatever the experts like to "
    "suggest.|My grandmother had a saying about {activity}: do a little, and do it often.|"
    "We have written about {plural} before, but the questions keep coming.|Ask ten "
    "{role}s how to {action} and you will get eleven different answers.|This guide is for "
    "anyone who has stood in front of {thing} and wondered where to begin.|Three years ago "
    "I knew almost nothing about {activity}, and I still remember how confusing it was."
)
ADVICE = word_list(
    "The simplest rule is to {action} before you {action2}, not the other way round.|Start "
    "small, because a modest first project is far easier to manage while you are still "
    "learning.|Keep a notebook and write down when you {action}, so that next year you are "
    "not guessing.|Do not worry if the first attempt looks rough, since it usually "
    "improves within a fortnight.|It is worth asking a local {role} for advice, since "
    "conditions in {place} are not what the textbooks describe.|Set aside {small} minutes "
    "each {weekday} to {action}, and the job never gets out of hand.|Above all, {action}, "
    "because everything else depends on it.|You do not need expensive equipment to "
    "{action}, just a little time and some patience.|If in doubt, {action} and then wait "
    "a week before changing anything else.|Try to {action} at the same time each week, so "
    "that it becomes a habit rather than a chore.|The people who enjoy {activity} most are "
    "rarely the ones with the most gear.|Write a short list before you begin, and cross "
    "things off as you go.|Make one change at a time, otherwise you will never know which "
    "one helped.|Check the small things first, because they cause most of the big "
    "problems.|Borrow before you buy, and buy second hand before you buy new.|When the "
    "weather turns, it pays to {action} a little earlier than usual.|Take photographs as "
    "you go, since memory is a poor record of what you actually did.|Be honest about how "
    "much time you have, and plan for half of it.|If something goes wrong, write down what "
    "happened while it is still fresh.|Rest is part of the work, not a break from it."
)
ANECDOTE = word_list(
    "Last {month} {person} showed me how to {action}, and I have done it that way ever "
    "since.|On our first attempt we forgot to {action}, and we paid the price for weeks.|"
    "My neighbour in {place} has been at this for {small} years and still learns something "
    "new each season.|{Person} laughed when I asked whether {thing} really mattered, then "
    "spent an hour explaining why it does.|The first time I tried to {action}, it took most "
    "of a {weekday} and a good deal of muttering under my breath.|We met {person}, a "
    "{role} from {place}, at a fair in {month}.|It rained for {small} days straight, which "
    "taught us more than any book.|I still remember the {adj} {weekday} when everything "
    "finally made sense.|Two years ago I could not {action} at all, and now I teach others "
    "to do it.|My father never read a manual in his life, and he could still {action} "
    "better than anyone I know.|Our first {season} in {place} was a disaster, but we "
    "learned quickly.|A stranger at the station in {place} gave me the best advice I have "
    "ever had on the subject.|We were halfway through when the power went off, so we "
    "finished by torchlight.|{Person} still keeps the notes from that first year in a "
    "shoebox under the stairs."
)
DATA = word_list(
    "A survey of {number} {role}s in {place} found that most of them {action} at least "
    "once a week.|According to {person}, about {percent} percent of problems with {plural} "
    "come from doing too much rather than too little.|Prices for {plural} rose by around "
    "{percent} percent last year, which surprised many people in {place}.|Figures from "
    "{recent_year} suggest that interest in {activity} has doubled in a decade.|Roughly one in "
    "{small} people who start {activity} give up within the first year.|The local group "
    "now has {number} members, up from a handful when it began.|In our own small survey, "
    "{percent} percent of readers said they {action} less often than they would like.|It "
    "takes most beginners around {small} weeks to feel confident, and that is perfectly "
    "normal.|The waiting list in {place} has grown to {number} names since {month}."
)
CONTRAST = word_list(
    "Some people swear by {thing}, while others think it is a waste of money.|That said, "
    "there is no need to worry about {thing} until you know what you want from it.|The old "
    "advice was to {action} in {month}, but many {role}s now wait until {month2}.|It sounds "
    "obvious, but most people still skip this step.|Not everyone agrees, of course, and "
    "{person} thinks the whole idea is overrated.|Of course, what works in {place} may not "
    "work where you live.|There is a catch, though, and it is the time it takes.|Experts "
    "disagree on the details, but they all agree on the basics.|It is tempting to skip "
    "ahead, and almost everyone who does regrets it.|None of this is new, yet it is "
    "surprising how often it is forgotten."
)
QUOTE = word_list(
    '"The biggest mistake is trying to do everything at once," says {person}, a {role} '
    'from {place}.|"You learn more from one bad season than from ten good ones," {person} '
    'told us.|"I still {action} myself, because it is the only way to see what is going '
    'on," {person} said.|"People think {activity} is complicated, but it really is not," '
    'says {person}.|"We started with nothing but {thing} and a lot of enthusiasm," '
    '{person} remembers.|"If I could give one piece of advice, it would be to {action}," '
    'says {person}.|"Ask me again in {month}," {person} joked, "and I might have a '
    'better answer."|"Nobody warned me how much I would enjoy it," says {person}, who took '
    'it up in {recent_year}.|"We get new faces every week, and that is the best sign there is," '
    'said {person}.|"It is not about being good at it, it is about turning up," {person} '
    "told the {weekday} meeting."
)
CLOSING = word_list(
    "In the end, {activity} rewards patience more than expensive equipment.|Give it a try "
    "this {season}, and let us know how you get on.|We will be back next month with more on "
    "{plural} and what we have learned since.|Whatever you decide, remember that next year "
    "is another chance.|If you have a question we have not answered, send it in and we will "
    "do our best.|It is not glamorous, but it works, and that is what matters.|Next time we "
    "will look at {thing}, which deserves an article of its own.|Most of all, enjoy it, "
    "because that is the whole point.|Thank you to everyone in {place} who shared their "
    "stories with us for this piece.|We would love to hear how you {action}, so do get in "
    "touch."
)
BODY = (ADVICE, ANECDOTE, DATA, CONTRAST, QUOTE)
NEWS = (DATA, CONTRAST, QUOTE)

# Encyclopedia articles (Quillpedia) about the invented towns: `{subject}` is the town.
WIKI_POOLS = {
    "river": word_list("Lark|Fen|Wending|Brack|Ouse|Tamber|Mallow|Sill|Avel|Derrow"),
    "census": ("1991", "2001", "2011"),
    "century": word_list("eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth"),
    "landmark": word_list(
        "parish church|market cross|old bridge|castle mound|guildhall|harbour wall|windmill|"
        "corn exchange|almshouses|town gate"
    ),
    "earlier": word_list("Roman villa|Bronze Age barrow|Saxon chapel|hill fort|Norman motte"),
    "quarter": word_list("old town|harbour district|market square|lower town|riverside"),
    "trade": word_list("wool merchant|brewer|shipbuilder|mill owner|banker|stone mason"),
    "industry": word_list(
        "wool|lace making|fishing|quarrying|paper making|brewing|rope making|tanning|salt"
    ),
    "hills": word_list("Raven|Heron|Ashen|Cold|Marrow|Lantern|Brock"),
    "landuse": word_list("farmland|pasture|heath|marsh|orchard|woodland"),
    "festival": word_list("lantern|sea shanty|cheese|kite|folk music|apple|boat"),
    "building": word_list(
        "corn exchange|grammar school|railway goods shed|workhouse|chapel|tannery"
    ),
    "ground": word_list("Mill Lane|Riverside|Station Road|Abbey Field|Harbour Park"),
}
WIKI_LEAD = word_list(
    "{Subject} is a market town in {county}, on the River {river}.|{Subject} is a village "
    "and civil parish in {county}, about {small} miles from {place}.|{Subject} is a small "
    "port town on the coast of {county}, at the mouth of the River {river}.|{Subject} is a "
    "hill town in the north of {county}, above the valley of the {river}."
)
WIKI_SECTIONS = {
    "": word_list(
        "At the {census} "
        "census the parish had a population of {population}.|The town is known for its "
        "{landmark}, which dates from the {century} century.|The name is first recorded in "
        "{old_year}, and is thought to mean the farm by the river crossing.|It is the largest "
        "settlement between {place} and {place2}."
    ),
    "History": word_list(
        "A settlement existed here before the {century} century, and traces of a {earlier} "
        "have been found near the {landmark}.|The town received a market charter in "
        "{old_year}, and a weekly market is still held on {weekday}s.|In {old_year} a fire "
        "destroyed much of the {quarter}, after which the streets were rebuilt in stone.|The "
        "{landmark} was paid for in {old_year} by a local {trade}.|The arrival of the railway "
        "in {rail_year} brought visitors and new industries to the town.|For several centuries "
        "the town prospered from {industry}, which was sold as far away as {place}.|The "
        "population fell after the last {industry} works closed in {year}.|During the civil "
        "war the town changed hands {small} times.|Much of the {quarter} was flooded in "
        "{year}, and new defences were built along the river."
    ),
    "Geography": word_list(
        "The town lies in a shallow valley between the {hills} Hills and the sea.|The River "
        "{river} flows through the centre and joins the {river2} about {small} miles "
        "downstream.|The surrounding land is mostly {landuse}, with areas of ancient "
        "woodland to the north.|The highest point in the parish is {hills} Hill, at {height} "
        "metres above sea level.|The climate is mild, and the nearby coast rarely sees "
        "snow.|Much of the parish lies within the {hills} Hills landscape area.|The soil is "
        "thin and chalky on the hills and heavy clay in the valley bottom."
    ),
    "Economy": word_list(
        "Tourism is now the largest employer, followed by farming and small "
        "manufacturing.|The weekly market and a number of independent shops serve the "
        "surrounding villages.|A business park opened on the edge of the town in {year}.|"
        "Many residents commute to {place}, which is about {small} miles away by road.|The "
        "{industry} trade survives in a few small workshops near the {landmark}.|Farming "
        "remains important, and a livestock market is held on the first {weekday} of each "
        "month.|The former {building} has been converted into offices and small flats."
    ),
    "Culture": word_list(
        "The annual {festival} festival is held each {month} and draws visitors from across "
        "{county}.|The town museum, housed in the former {building}, tells the story of the "
        "local {industry} trade.|{Subject} Rovers play in the county league at the {ground} "
        "ground.|The {landmark} is a listed building and is open to the public in summer.|A "
        "brass band has played in the town since {old_year}."
    ),
    "Transport": word_list(
        "{Subject} railway station is on the line between {place} and {place2}.|Regular "
        "buses connect the town with {place} and the villages of the {river} valley.|The "
        "old turnpike road, now the main street, was bypassed in {year}.|A ferry across the "
        "{river} ran from the {quarter} until {year}."
    ),
}


# --- page furniture -------------------------------------------------------------------------

REVIEW_TITLES = word_list(
    "Review: {Thing} After {Small} Months|Long Term Review of {Thing}|{Thing}, Tested in "
    "Real Life|We Tried {Thing} So You Do Not Have To"
)
NAV_WORDS = word_list("Home|About|Contact|Archive|Search|Subscribe|Log in|Menu|Latest|Popular|Shop")
PROS = word_list(
    "Well made|Good value for money|Easy to set up|Light and compact|Clear instructions|"
    "Built to last|Friendly support|Works straight out of the box"
)
CONS = word_list(
    "A little expensive|Heavier than expected|Only one colour|Slow delivery|Thin manual"
)
INGREDIENTS = word_list(
    "{g} g plain flour|{n} large eggs|{g} ml whole milk|{n} onions, finely chopped|"
    "{n} cloves of garlic|{g} g butter|{n} tbsp olive oil|{g} g dried lentils|"
    "{n} tins of chopped tomatoes|a bunch of parsley|{n} tsp ground cumin|{g} g rice|"
    "{n} lemons|salt and pepper|{g} g brown sugar|{n} carrots|{g} ml vegetable stock"
)
STEPS = word_list(
    "Heat the oven to {t} degrees and line a tray with baking paper.|Warm the oil in a "
    "large pan over a medium heat.|Add the onions and cook gently for {m} minutes until soft.|"
    "Stir in the spices and cook for another minute.|Pour in the stock and bring to a gentle "
    "simmer.|Season well with salt and pepper, then taste and adjust.|Bake for {m} minutes "
    "until golden and firm to the touch.|Leave to cool for ten minutes before serving.|"
    "Whisk the eggs and milk together in a large jug.|Fold the flour in gently with a metal "
    "spoon.|Scatter over the herbs and serve straight away.|Cover the pan and leave it to "
    "cook for {m} minutes."
)
QUESTIONS = word_list(
    "How often should I {action}?|What is the best month to {action}?|Do I really need "
    "{thing} to get started?|Why do {plural} sometimes go wrong?|Is it worth paying more for "
    "{thing}?|Can beginners {action} without help?|How long does it take to {action}?|"
    "What should I do if {thing} lets me down?"
)

# --- the other pages ------------------------------------------------------------------------
# Pages in other languages, written for the sample: langdetect must name their language with
# probability >= 0.99 once clean_page has kept only their sentences.

FOREIGN = {
    "de": dict(
        site="Tal und Gipfel",
        domain="talundgipfel.example",
        nav="Startseite|Wandern|Wetter|Über uns|Kontakt|Suche",
        footer="Alle Texte auf dieser Seite werden von unserer Redaktion selbst geschrieben.",
        sentences="Das Wetter in den Bergen kann sich innerhalb weniger Minuten völlig ändern.|"
        "Wer wandern geht, sollte immer eine warme Jacke und genug Wasser mitnehmen.|"
        "Vor dem Aufbruch lohnt sich ein Blick auf die aktuelle Vorhersage für das Tal.|"
        "Der Weg führt zuerst durch einen dichten Wald und dann über eine offene Wiese.|"
        "Nach etwa zwei Stunden erreicht man eine kleine Hütte mit einer schönen Aussicht.|"
        "Im Sommer sind die Wege am Wochenende oft sehr voll, deshalb starten wir früh.|"
        "Die Gemeinde hat im letzten Jahr neue Schilder an allen Kreuzungen aufgestellt.|"
        "Viele Familien kommen gern hierher, weil die Strecke nicht besonders steil ist.|"
        "Unterwegs gibt es mehrere Brunnen, an denen man die Flaschen auffüllen kann.|"
        "Bei Gewitter sollte man den Grat sofort verlassen und Schutz im Tal suchen.|"
        "Der Rückweg ist etwas länger, aber dafür geht es gemütlich am Bach entlang.|"
        "Im Herbst leuchten die Blätter der Buchen in allen Farben zwischen Gelb und Rot.|"
        "Die Bahn fährt stündlich bis zum Dorf, und vom Bahnhof sind es nur wenige Minuten.|"
        "Unsere Gruppe trifft sich jeden Samstag um acht Uhr auf dem Parkplatz am See.|"
        "Für Kinder gibt es unterwegs einen kleinen Spielplatz und einen Lehrpfad über Vögel.|"
        "Die Wirtin der Hütte backt jeden Morgen frischen Kuchen für die Gäste.",
        titles="Die schönsten Wanderwege im Frühling|Sicher unterwegs bei jedem Wetter|"
        "Eine Rundtour über den Sonnenberg|Tipps für die erste Hüttenwanderung",
    ),
    "fr": dict(
        site="Le Petit Marché",
        domain="lepetitmarche.example",
        nav="Accueil|Recettes|Marchés|À propos|Contact|Rechercher",
        footer="Tous les articles de ce site sont écrits par notre petite équipe de bénévoles.",
        sentences="Le marché du samedi matin est le meilleur endroit pour acheter des fruits "
        "de saison.|Les producteurs locaux y vendent aussi du fromage, du miel et du pain frais.|"
        "Il vaut mieux arriver tôt, avant que les meilleures tomates ne soient parties.|"
        "Cette recette de soupe aux légumes est simple, rapide et très économique.|"
        "Faites revenir les oignons dans un peu de beurre jusqu'à ce qu'ils soient dorés.|"
        "Ajoutez ensuite les carottes, les poireaux et une pomme de terre coupée en dés.|"
        "Laissez cuire à feu doux pendant une vingtaine de minutes en remuant de temps en temps.|"
        "Ma grand-mère préparait ce plat chaque dimanche pour toute la famille.|"
        "Les habitants du village se retrouvent souvent au café après le marché.|"
        "En automne, les étals sont couverts de champignons, de pommes et de noix.|"
        "Le boulanger ouvre sa boutique à six heures et ferme dès que le pain est vendu.|"
        "Nous avons demandé aux commerçants ce qui avait changé depuis l'année dernière.|"
        "Beaucoup de jeunes agriculteurs choisissent maintenant de vendre directement aux "
        "clients.|Servez la soupe bien chaude avec une tranche de pain grillé et du fromage "
        "râpé.|La mairie souhaite agrandir la place pour accueillir de nouveaux marchands.|"
        "Pour conserver les herbes fraîches, il suffit de les garder dans un verre d'eau.",
        titles="Les meilleurs marchés de la région|Une soupe d'hiver pour toute la famille|"
        "Ce que les producteurs nous ont raconté|Cuisiner les légumes de saison",
    ),
    "es": dict(
        site="Costa Tranquila",
        domain="costatranquila.example",
        nav="Inicio|Playas|Rutas|Quiénes somos|Contacto|Buscar",
        footer="Todas las fotos y los textos de esta web son obra de nuestro pequeño equipo.",
        sentences="La playa está tranquila por la mañana, cuando el agua todavía está fresca.|"
        "Muchas familias llegan después del almuerzo con sombrillas y neveras llenas.|"
        "Al atardecer, el paseo marítimo se llena de gente que sale a caminar.|"
        "El pueblo tiene un puerto pequeño donde los pescadores venden el pescado del día.|"
        "Desde la estación de autobuses hay un camino que baja hasta la cala en diez minutos.|"
        "En verano conviene reservar mesa en los restaurantes del centro con antelación.|"
        "La ruta por los acantilados es sencilla, pero hay que llevar agua y gorra.|"
        "Los domingos por la tarde hay música en la plaza y los niños juegan hasta tarde.|"
        "El faro antiguo se puede visitar los fines de semana con un guía del ayuntamiento.|"
        "Nosotros preferimos venir en septiembre, cuando hay menos gente y el mar sigue "
        "caliente.|La tortilla del bar del puerto es la mejor que hemos probado en años.|"
        "Para llegar en coche hay que tomar la carretera de la costa y seguir las señales.|"
        "Los vecinos organizan cada año una fiesta con comida, baile y fuegos artificiales.|"
        "Si hace viento, la playa del norte está más protegida que la del sur.|"
        "El mercado abre los jueves y allí se pueden comprar frutas, quesos y aceite.|"
        "Después de nadar, nada mejor que un helado a la sombra de los pinos.",
        titles="Las calas más bonitas del norte|Un paseo por los acantilados|"
        "Qué hacer en el pueblo en septiembre|Dónde comer junto al puerto",
    ),
    "it": dict(
        site="Borghi e Sapori",
        domain="borghiesapori.example",
        nav="Home|Borghi|Ricette|Chi siamo|Contatti|Cerca",
        footer="Tutti i testi di questo sito sono scritti dalla nostra piccola redazione.",
        sentences="Il borgo si trova su una collina e si raggiunge con una strada piena di "
        "curve.|Nella piazza principale c'è una fontana antica e un bar sempre affollato.|"
        "La domenica mattina gli abitanti fanno una passeggiata prima del pranzo.|"
        "La nonna di Giulia prepara la pasta fresca a mano ogni fine settimana.|"
        "Per questa ricetta servono pomodori maturi, basilico, olio e un pizzico di sale.|"
        "Lasciate cuocere il sugo a fuoco basso per almeno mezz'ora, mescolando spesso.|"
        "In autunno nei boschi intorno al paese si raccolgono castagne e funghi.|"
        "Il museo civico ospita una piccola collezione di attrezzi agricoli e fotografie.|"
        "Dalla torre si vede tutta la valle, e nelle giornate limpide anche il mare.|"
        "Molti giovani sono tornati a vivere qui e hanno aperto nuove botteghe.|"
        "La festa del paese si tiene a luglio, con musica, balli e cibo per tutti.|"
        "Consigliamo di visitare il borgo in primavera, quando i prati sono pieni di fiori.|"
        "Il treno si ferma nella stazione a valle e da lì parte un autobus ogni ora.|"
        "Il formaggio locale viene stagionato per mesi nelle cantine sotto le case.|"
        "Dopo cena ci si ritrova in piazza a chiacchierare fino a tardi.|"
        "Questa zuppa di fagioli è un piatto povero, ma è davvero buonissima.",
        titles="I borghi più belli della valle|La ricetta del sugo della nonna|"
        "Un fine settimana tra colline e castagni|Cosa vedere in primavera",
    ),
    "nl": dict(
        site="Fietsen langs het Water",
        domain="fietsenlangshetwater.example",
        nav="Home|Routes|Nieuws|Over ons|Contact|Zoeken",
        footer="Alle routes op deze website zijn door onze vrijwilligers zelf gefietst.",
        sentences="De route begint bij het station en volgt de dijk langs de rivier.|"
        "Onderweg kom je door kleine dorpjes met oude kerken en smalle straatjes.|"
        "Bij de molen is een leuk terras waar je koffie met appeltaart kunt bestellen.|"
        "Het fietspad is overal goed aangegeven en grotendeels vrij van auto's.|"
        "Als het hard waait, is het verstandig om de route in de andere richting te rijden.|"
        "In het voorjaar staan de weilanden vol met lammetjes en bloeiende bloemen.|"
        "De pont naar de overkant vaart ieder halfuur en is gratis voor fietsers.|"
        "Wij hebben de tocht met het hele gezin gedaan en de kinderen vonden het prachtig.|"
        "Vergeet niet om een regenjas mee te nemen, want het weer verandert hier snel.|"
        "De gemeente heeft dit jaar een nieuw fietspad langs het kanaal aangelegd.|"
        "Er zijn genoeg bankjes onderweg om even uit te rusten en van het uitzicht te "
        "genieten.|Bij de boerderij aan het eind van de weg kun je verse kaas en eieren kopen.|"
        "Het laatste stuk gaat door een bos en is bij slecht weer soms een beetje modderig.|"
        "Na de tocht kun je in het dorp iets eten bij het café naast de brug.|"
        "Wie nog niet moe is, kan nog een extra lus van twintig kilometer langs het meer "
        "rijden.|De fietsenmaker in het dorp is ook op zaterdag open.",
        titles="Een mooie fietstocht langs de rivier|Vijf routes voor een zonnige zondag|"
        "Met de pont naar de overkant|Fietsen in het voorjaar",
    ),
    "pt": dict(
        site="Vila do Mar",
        domain="viladomar.example",
        nav="Início|Praias|Receitas|Sobre nós|Contactos|Pesquisar",
        footer="Todos os textos deste site são escritos pela nossa pequena equipa de amigos.",
        sentences="A vila fica junto ao mar e tem uma praia de areia fina muito procurada no "
        "verão.|Os pescadores chegam ao porto de madrugada e vendem o peixe logo ali.|"
        "Não há nada melhor do que sardinhas assadas com pão e uma salada de tomate.|"
        "As ruas do centro são estreitas, com casas brancas e janelas azuis.|"
        "No domingo de manhã, a feira ocupa toda a praça e as ruas ao lado.|"
        "Também vale a pena subir ao miradouro para ver o pôr do sol sobre o oceano.|"
        "A minha avó fazia este bolo de laranja sempre que recebia visitas em casa.|"
        "Para a receita são precisos ovos, açúcar, farinha e o sumo de duas laranjas.|"
        "Muitas pessoas da cidade vêm passar o fim de semana e ficam em casas alugadas.|"
        "O comboio não chega até aqui, mas há autocarros todos os dias a partir da estação.|"
        "Em setembro a água ainda está quente e as praias já estão muito mais calmas.|"
        "A câmara municipal quer recuperar o antigo mercado e transformá-lo num espaço "
        "cultural.|As crianças adoram apanhar conchas nas rochas quando a maré está baixa.|"
        "Depois do jantar, as famílias passeiam pela marginal até ao farol.|"
        "Os restaurantes do porto servem arroz de marisco que é famoso em toda a região.|"
        "Você também pode alugar uma bicicleta e seguir o caminho junto às dunas.",
        titles="As praias mais bonitas da costa|O bolo de laranja da avó|"
        "Um fim de semana na vila|Onde comer peixe fresco",
    ),
}

LOREM_LINES = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
    "Vestibulum ante ipsum primis in faucibus, lorem ipsum dolor sit amet, nulla facilisi.",
)
# Lines with a `{` that pass every earlier rule: each drops its whole page.
SQUIGGLY_LINES = (
    'Set the option in the settings file as {"theme": "dark"} and restart the editor.',
    "The shortest valid rule is a selector followed by braces, as in p { color: red; }.",
    "In Rust the body of a function sits between braces, for example fn main() { run(); }.",
    "Write the struct as type Point struct { X, Y int } and the compiler does the rest.",
    "A Python dictionary literal such as {1: 'one'} builds a mapping in a single step.",
    "Our template engine replaces {name} with the name of the reader who is logged in.",
)
# Code seen in pages C4 keeps: lines without an end mark, and a line that names JavaScript.
CODE_LINES = (
    "function greet(name) {",
    "  return 'Hello, ' + name;",
    "}",
    "for (let i = 0; i < 10; i++) {",
    "def main():",
    "    print('done')",
)
JS_WITH_BRACES = "In JavaScript you can write an empty object as {} and an empty array as []."

COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
