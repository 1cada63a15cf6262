"""The topics of the WET sample's articles (a data table: longer than a code module).

Each topic brings its own words for the slots of the templates in `tables` (`{thing}`,
`{action}`, `{role}`, ...), its title templates, section headings and sentences, so an article
about gardening and one about football read in their own words.
"""

from __future__ import annotations

import dataclasses

from tools.wet_sample.tables import word_list

# --- topics ---------------------------------------------------------------------------------
# Each topic: singular noun phrases (`things`), plural nouns, base-form verb phrases (`actions`),
# adjectives, roles (a role + "s" is its plural), the activity, title templates, headings and
# sentences of its own. Generic templates below use the same slots, so every topic reads in
# its own words.


@dataclasses.dataclass(frozen=True)
class Topic:
    name: str
    activity: str
    things: list[str]
    plurals: list[str]
    actions: list[str]
    adjs: list[str]
    roles: list[str]
    titles: list[str]
    headings: list[str]
    sentences: list[str]


def _topic(name: str, activity: str, **fields: str) -> Topic:
    return Topic(name, activity, **{k: word_list(v) for k, v in fields.items()})


TOPICS = [
    _topic(
        "gardening",
        "growing your own food",
        things="the vegetable patch|a raised bed|the greenhouse|the compost heap|a rain barrel|"
        "the old apple tree|a cold frame|the herb border|a new hedge|the lawn|"
        "a pair of sharp secateurs|the potting bench",
        plurals="tomatoes|runner beans|seedlings|earthworms|dahlias|onion sets|fruit bushes|"
        "climbing roses|courgettes|native wildflowers|leeks|broad beans",
        actions="prune the fruit bushes|turn the compost|sow the first carrots|mulch the borders|"
        "water the seedlings|stake the tall plants|divide the old perennials|lift the potatoes|"
        "net the cabbages|plant out the tomatoes|sharpen the tools|rake up the fallen leaves",
        adjs="sunny|sheltered|heavy|sandy|frost-free|waterlogged|overgrown|productive",
        roles="gardener|allotment holder|nursery owner|garden designer|beekeeper",
        titles="How to {Action} Without Losing Your Weekend|{Small} Mistakes I Made With "
        "{Plural}|A Beginner's Guide to {Plural}|What to Do in the Garden in {Month}|"
        "Why I Stopped Worrying About {Plural}|Is It Too Late to {Action} This Year?",
        headings="Getting started|Choosing the right spot|Soil and feeding|Watering|"
        "Common problems|What to do next month",
        sentences="Most {role}s {action} in {month}, although a mild spring can push that back "
        "by a few weeks.|A {adj} corner is a good home for {plural}, provided the soil drains "
        "well.|Slugs love damp evenings, so check the seedlings with a torch after it rains.|"
        "A handful of compost at planting time does more good than any bottle of feed.|"
        "Rotate the crops each year so that pests and diseases do not build up in one bed.|"
        "If {thing} gets less than six hours of sun, grow leafy crops rather than fruiting "
        "ones.|Water deeply once a week rather than a little every day, and the roots will "
        "follow the moisture down.|Frost can arrive as late as {month} in {place}, so keep a "
        "roll of fleece by the back door.|Bees visit the flowers all summer, which is good news "
        "for every fruit tree nearby.|Leave a patch of long grass for insects, and the birds "
        "will deal with most of the aphids.",
    ),
    _topic(
        "cooking",
        "home cooking",
        things="a heavy cast iron pan|the oven|a sharp knife|the spice drawer|a good stock|"
        "the sourdough starter|a wooden spoon|the freezer|a pot of soup|the bread dough|"
        "a simple tomato sauce|the weekly shop",
        plurals="lentils|onions|root vegetables|fresh herbs|eggs|dried beans|tinned tomatoes|"
        "peppers|spices|seasonal greens|potatoes|lemons",
        actions="toast the spices|brown the onions slowly|season the dish while it cooks|"
        "rest the meat|taste the sauce|chill the pastry|soak the beans overnight|knead the dough|"
        "plan the meals for the week|sharpen the knives|reduce the stock|fold in the flour",
        adjs="golden|crisp|tender|smoky|silky|hearty|tangy|fragrant",
        roles="home cook|chef|baker|market trader|food writer",
        titles="{Small} Weeknight Dinners Built Around {Plural}|How to {Action} Like a "
        "Professional|The Only Guide to {Plural} You Will Need|Cooking on a Budget in {Month}|"
        "What Every Cook Should Know About {Plural}",
        headings="Ingredients worth buying|Before you start|The method|Storing leftovers|"
        "Variations|Serving suggestions",
        sentences="A pinch of salt at the start lets the vegetables release their juices and "
        "soften evenly.|Most recipes rush the onions, but they need a good fifteen minutes to turn "
        "sweet.|Keep a few tins and jars in the cupboard and a quick dinner is never far away.|"
        "The trick with {thing} is patience, because high heat only burns the outside.|"
        "Leftover rice makes the best fried rice, since it has had time to dry out in the "
        "fridge.|Buy {plural} from the market late on a {weekday}, when the traders are happy "
        "to sell cheaply.|If the sauce tastes flat, it usually needs acid rather than more "
        "salt.|A {adj} crust comes from a hot pan and the discipline to leave the food alone.",
    ),
    _topic(
        "cycling",
        "cycling",
        things="a steel touring frame|the chain|a good set of lights|the rear derailleur|"
        "a saddle bag|the front tyre|a track pump|the canal towpath|a puncture repair kit|"
        "the climb out of town|a folding bike|the commute",
        plurals="disc brakes|mudguards|wider tyres|cycle lanes|gravel roads|inner tubes|"
        "panniers|hills|headwinds|commuters|spare spokes|bike shops",
        actions="clean the chain|check the tyre pressure|adjust the brakes|pack a spare tube|"
        "plan the route|replace the brake pads|oil the cables|fit the mudguards|"
        "ride the hills in a low gear|true the wheel|lower the saddle a little|charge the lights",
        adjs="hilly|windswept|quiet|gravelly|muddy|flat|scenic|busy",
        roles="cyclist|mechanic|bike courier|touring rider|club captain",
        titles="How to {Action} at Home in Ten Minutes|{Small} Routes Around {Place} for a "
        "Slow Sunday|Do You Really Need {Plural}?|Winter Riding Without the Misery|"
        "What I Learned From a Year of {Plural}",
        headings="The kit|The route|On the road|Maintenance|What went wrong|Next time",
        sentences="The road out of {place} climbs gently for {small} miles before the view "
        "opens up.|Rinse the chain after salty rides, then dry it and add a few drops of "
        "fresh oil.|Wider tyres at lower pressure give more grip on wet roads and packed "
        "gravel.|Bright lights front and back matter more than ever when the days are short.|"
        "Most punctures happen in the last mile, usually when you are already late.|"
        "A {adj} route takes longer, but you arrive in a far better mood.|The local club "
        "meets every {weekday} at the café by the bridge and welcomes new riders.|"
        "Carry a spare tube even if you run tubeless, because sealant cannot fix everything.",
    ),
    _topic(
        "hiking",
        "walking in the hills",
        things="the ridge path|a paper map|a waterproof jacket|the summit cairn|the bothy|"
        "a flask of tea|the river crossing|a compass|the old drovers' road|the valley floor|"
        "a head torch|the first aid kit",
        plurals="walking boots|stiles|waymarks|sheep|blisters|clouds|stone walls|viewpoints|"
        "trekking poles|midges|ferns|lapwings",
        actions="check the forecast|pack an extra layer|leave a route plan with a friend|"
        "break in new boots|take a bearing|refill the water bottles|turn back early|"
        "follow the river upstream|start before dawn|read the contour lines|"
        "rest at the top|close every gate on the way through",
        adjs="boggy|rocky|exposed|misty|steep|gentle|remote|wooded",
        roles="hillwalker|mountain guide|ranger|map maker|rescue volunteer",
        titles="A Day on the Ridge Above {Place}|{Small} Walks for Short Winter Days|"
        "How to {Action} and Why It Matters|Walking the Coast Path From {Place} to {Place2}|"
        "What to Pack for a Day in the Hills",
        headings="Getting there|The route|Navigation|Safety|Where to eat|Map and distances",
        sentences="The path leaves the car park at {place} and follows a {adj} lane towards "
        "the woods.|Cloud can come down quickly on the tops, so always {action}.|The ascent is "
        "steady rather than hard, and it is never far from the stream.|From the cairn you can "
        "see across {county} on a clear day.|A {role} told us that most rescues involve "
        "tired walkers rather than dramatic falls.|Allow about {small} hours, more if you "
        "stop for lunch by the tarn.|The descent is loose in places, and poles help on the "
        "last steep section.|There is no phone signal in the valley, so carry a paper map.",
    ),
    _topic(
        "community",
        "local life",
        things="the town council|the new library|the village hall|a community orchard|"
        "the bypass plan|the bus timetable|a school extension|the market square|"
        "the swimming pool|the summer fair|a repair café|the footbridge",
        plurals="residents|volunteers|councillors|shopkeepers|parking spaces|potholes|"
        "bus routes|local charities|families|street lights|allotments|planning objections",
        actions="fix the potholes|extend the opening hours|repair the roof|plant more trees|"
        "reopen the footbridge|cut the bus fares|clean up the riverbank|collect litter|"
        "raise money for the hall|hold a public meeting|restore the bandstand|"
        "improve the crossing",
        adjs="crowded|busy|quiet|rundown|popular|restored|controversial|long-awaited",
        roles="councillor|resident|shop owner|volunteer|head teacher",
        titles="{Place} Council Agrees Plan to {Action}|Residents Asked for Views on "
        "{Thing}|Volunteers Step In to {Action}|New Hours for {Place} Library From "
        "{Month}|Why {Place} Is Arguing About {Plural}",
        headings="What happens next|How to have your say|Background|In other news",
        sentences="The council will publish the final plans in {month}, after a six week "
        "consultation.|Around {number} people attended the meeting in the village hall on "
        "{weekday}.|The project has cost less than expected, according to a report seen by "
        "this paper.|Work is due to start in the {season} and should take about {small} "
        "months.|Some residents have asked why the money was not spent on the roads "
        "instead.|The {adj} stretch of road near the school has been a worry for years.|"
        "Anyone who wants to comment can write to the town clerk before the end of {month}.|"
        "The scheme is funded by a grant and by money raised at last year's fair.",
    ),
    _topic(
        "travel",
        "slow travel",
        things="the night train|a small guesthouse|the harbour|the old town|a ferry crossing|"
        "the railway station|a rented cottage|the border crossing|the morning market|"
        "the coastal road|a window seat|the island",
        plurals="sleeper cabins|day trips|guidebooks|fishing villages|local buses|cafés|"
        "luggage lockers|museums|side streets|viewpoints|rail passes|cheap rooms",
        actions="book the sleeper early|travel light|learn a few phrases|take the slow train|"
        "carry some cash|walk the old town at dawn|skip the tourist menus|"
        "check the ferry times|pack a picnic|stay an extra night|"
        "ask the locals where they eat|get off at the small stations",
        adjs="sleepy|crowded|remote|charming|windswept|overlooked|colourful|affordable",
        roles="traveller|tour guide|ferry captain|innkeeper|travel writer",
        titles="{Small} Days in {Place} by Train|The Slow Way to {Place}|How to {Action} "
        "and Save Money|A Weekend in {Place} Out of Season|Why I Always {Action}",
        headings="Getting there|Where to stay|What to see|Where to eat|Budget|Tips",
        sentences="The train from {place} leaves just before nine and arrives in time for "
        "breakfast.|You board in the evening, sleep in a small cabin and wake up in another "
        "country.|Booking early is wise, since the cabins often sell out weeks ahead.|"
        "The harbour at {place} is {adj} in the morning and busy by noon.|Most visitors only "
        "stay one night, which is a mistake.|A {role} in {place} told us that the best months "
        "to visit are {month} and {month2}.|Buses run every hour in summer but only {small} "
        "times a day in winter.|The guesthouse serves fresh bread, local cheese and strong "
        "coffee every morning.",
    ),
    _topic(
        "history",
        "local history",
        things="the old mill|the parish records|the market charter|a ruined abbey|the canal|"
        "the town museum|a medieval bridge|the railway viaduct|the grammar school|"
        "the manor house|a Roman road|the harbour wall",
        plurals="weavers|merchants|monks|canal boats|old photographs|court records|"
        "mill workers|maps|letters|stone masons|fishermen|census returns",
        actions="search the parish records|restore the old mill|map the Roman road|"
        "record the memories of older residents|catalogue the letters|"
        "rebuild the harbour wall|excavate the abbey grounds|digitise the old photographs|"
        "trace the family names|date the timber beams|preserve the canal locks|"
        "read the court rolls",
        adjs="medieval|Victorian|forgotten|prosperous|ruined|ancient|industrial|rural",
        roles="historian|archivist|archaeologist|museum curator|local researcher",
        titles="The Forgotten History of {Thing}|How {Place} Grew Rich on Wool|"
        "{Small} Things We Learned From {Plural}|When the Canal Came to {Place}|"
        "The Rise and Fall of {Place} Mill",
        headings="Early history|The industrial age|Decline|The twentieth century|Legacy",
        sentences="The first record of {place} appears in a tax list from {old_year}.|By the "
        "eighteenth century the town was known for its wool, which {merchants} shipped down "
        "the river.|The canal opened in {old_year}, and for a generation it carried coal, grain "
        "and stone.|Most of the {adj} buildings in the square date from after the great fire "
        "of {old_year}.|The mills were once the largest employers in {place}.|A {role} at the "
        "museum has spent {small} years piecing the story together.|Old maps show a ford "
        "where the bridge now stands.|The railway arrived late, and with it the slow end of "
        "the river trade.",
    ),
    _topic(
        "astronomy",
        "amateur astronomy",
        things="the night sky|a small refracting telescope|the Moon|a pair of binoculars|"
        "the Milky Way|a dark sky site|the Andromeda galaxy|the planet Jupiter|"
        "a star chart|the observatory|a meteor shower|the winter sky",
        plurals="craters|star clusters|satellites|comets|galaxies|meteors|eclipses|"
        "double stars|sunspots|variable stars|nebulae|planets",
        actions="give the eyes time to adjust|find the Pole Star|log each observation|"
        "use a red torch|check the phase of the Moon|align the finder scope|"
        "photograph the Moon through the eyepiece|join a local society|"
        "learn the bright constellations first|keep the lens caps on|"
        "wait for a clear night|sketch each target at the eyepiece",
        adjs="faint|bright|dark|distant|clear|hazy|crisp|spectacular",
        roles="amateur astronomer|astrophysicist|planetarium guide|stargazer|observer",
        titles="What to Look for in the {Month} Sky|A Beginner's Guide to {Plural}|"
        "How to {Action} and See More|{Small} Targets for a Small Telescope|"
        "Why Dark Skies Matter",
        headings="What you need|Where to look|Timing|Taking photographs|Further reading",
        sentences="Tides rise and fall mainly because the Moon pulls on the oceans of the "
        "Earth.|On a {adj} night away from street lights you can see thousands of stars.|"
        "Binoculars show the craters of the Moon better than many cheap telescopes.|"
        "The best views come when a planet is high in the sky, above the worst of the "
        "haze.|It takes about twenty minutes for your eyes to adapt fully to the dark.|"
        "Light from the Andromeda galaxy set off more than two million years ago.|"
        "Members of the {place} society meet on the first {weekday} of each month.|"
        "A {role} once told me that patience matters more than the size of the lens.",
    ),
    _topic(
        "technology",
        "working with computers",
        things="the command line|a spare laptop|the home router|a backup drive|"
        "the test suite|a small server|the code review|an old phone|the password manager|"
        "the build system|a text editor|the release notes",
        plurals="backups|passwords|software updates|spreadsheets|error messages|"
        "keyboard shortcuts|open source projects|unit tests|log files|plain text files|"
        "databases|version numbers",
        actions="back up the important files|update the software|write the tests first|"
        "read the error message|use a password manager|automate the boring parts|"
        "restart the router|keep notes in plain text|review the changes|"
        "delete the old accounts|measure before optimising|pin the versions",
        adjs="slow|reliable|broken|outdated|simple|fragile|secure|lightweight",
        roles="developer|systems administrator|support engineer|designer|tester",
        titles="How to {Action} Once and For All|{Small} Tools That Made Me a Better "
        "Developer|Why {Plural} Matter More Than You Think|A Gentle Introduction to "
        "{Plural}|What Happened When We Stopped Ignoring {Plural}",
        headings="The problem|What we tried|The fix|Lessons learned|Further reading",
        sentences="Most outages we have seen began with a change that nobody thought was "
        "risky.|If a task takes you more than {small} minutes every week, it is worth "
        "automating.|A backup you have never restored is only a hope, not a backup.|"
        "{Plural} are boring, which is exactly why people forget them.|The error message "
        "usually tells you what is wrong, if you read it to the end.|Small pull requests "
        "get better reviews than large ones, because reviewers can hold them in their "
        "heads.|We moved the build to a {adj} machine and it became twice as fast.|"
        "Keep a changelog, because future you will not remember why a decision was made.",
    ),
    _topic(
        "money",
        "managing money",
        things="a household budget|the emergency fund|the pension|a savings account|"
        "the energy bill|a credit card|the mortgage|the weekly food shop|a spending diary|"
        "the tax return|a current account|the car loan",
        plurals="direct debits|receipts|interest rates|subscriptions|savings goals|"
        "utility bills|second hand clothes|loyalty cards|insurance policies|bank fees|"
        "price comparisons|payslips",
        actions="track every purchase for a month|cancel unused subscriptions|"
        "build an emergency fund|pay off the most expensive debt first|"
        "compare energy tariffs|set up a standing order|check the credit report once a year|"
        "meal plan for the week|sell things that sit unused|ask for a better rate|"
        "review the insurance each year|save a little every payday",
        adjs="tight|steady|unexpected|modest|sensible|rising|generous|hidden",
        roles="saver|financial adviser|bank clerk|student|pensioner",
        titles="How to {Action} Without Feeling Deprived|{Small} Ways to Cut "
        "{Plural}|What Nobody Tells You About {Thing}|Is It Worth It to {Action}?|"
        "A Simple Plan for {Thing}",
        headings="Where the money goes|Quick wins|The bigger picture|Common questions",
        sentences="Start with {thing}, because it turns vague worry into numbers you can "
        "work with.|Most families in {place} spend more on subscriptions than they realise.|"
        "Even saving {small} pounds a week adds up over a year.|Interest on a credit card "
        "can quickly cost more than the thing you bought.|It helps to {action} before "
        "making any big decision.|A {role} we spoke to keeps a simple notebook rather than "
        "an app.|Prices have risen faster than wages in the last {small} years.|"
        "Automatic transfers on payday remove the temptation to spend first and save later.",
    ),
    _topic(
        "pets",
        "living with animals",
        things="a rescue dog|the cat flap|a scratching post|the litter tray|a long lead|"
        "the vet|a dog bed|the rabbit hutch|a bird feeder|the fish tank|a travel crate|"
        "the garden pond",
        plurals="cats|puppies|rabbits|guinea pigs|chickens|tropical fish|treats|"
        "chew toys|tortoises|parrots|kittens|older dogs",
        actions="walk the dog twice a day|brush the coat weekly|book a health check|"
        "trim the claws|clean the water bowl|introduce new food slowly|"
        "keep the vaccinations up to date|play for ten minutes each evening|"
        "get the microchip details checked|reward good behaviour|check the hutch for draughts|"
        "weigh the animals every month",
        adjs="nervous|playful|lively|gentle|curious|elderly|stubborn|affectionate",
        roles="vet|dog trainer|shelter volunteer|pet owner|groomer",
        titles="How to {Action} Without the Drama|{Small} Signs Your Pet Is Happy|"
        "Caring for {Plural} in {Season}|What I Wish I Knew Before Adopting|"
        "Do {Plural} Get Lonely?",
        headings="Settling in|Food and water|Exercise|Health|Training",
        sentences="Cats sleep for most of the day, but they are wide awake at dawn and "
        "dusk.|A scratching post near the sofa saves the furniture and keeps the claws in "
        "shape.|Fresh water in a wide bowl encourages them to drink more than a narrow "
        "dish does.|Rescue animals often need a few quiet weeks before their personality "
        "shows.|A {role} in {place} recommends short training sessions rather than long "
        "ones.|Rabbits and guinea pigs are social animals and should not be kept alone.|"
        "Most {adj} dogs calm down once they get enough exercise.|Regular play with a "
        "feather toy keeps an indoor cat fit and calm.",
    ),
    _topic(
        "music",
        "making music",
        things="the piano|a second hand guitar|the local choir|a metronome|the practice "
        "room|a new song|the brass band|the rehearsal|a folk session|the village "
        "orchestra|a recording|the concert hall",
        plurals="scales|chords|sheet music|harmonies|songs|rehearsals|open mic nights|"
        "drum patterns|old records|lessons|tunes|instruments",
        actions="practise a little every day|play hands separately first|"
        "record every practice session|learn the song by ear|tune the guitar|"
        "warm up the voice properly|count in out loud|slow the difficult passage down|"
        "join a local band|listen closely to the other players|write down the chords|"
        "practise with a metronome",
        adjs="haunting|lively|simple|tricky|joyful|mellow|upbeat|quiet",
        roles="musician|music teacher|choir leader|sound engineer|fiddle player",
        titles="How to {Action} and Actually Enjoy It|{Small} Songs Every Beginner "
        "Should Learn|Learning {Plural} as an Adult|Why Our Choir Sings in {Month}|"
        "The Joy of {Plural}",
        headings="Getting started|Practice|Playing with others|Performing|Resources",
        sentences="Learning the piano as an adult is slower than as a child, but it is "
        "far from hopeless.|Short daily practice beats one long session at the weekend.|"
        "Recording yourself now and then shows progress that is hard to notice day to "
        "day.|The session at the pub in {place} starts around eight and runs until the "
        "tunes run out.|Our choir has grown from {small} singers to more than forty in "
        "three years.|Most tunes sound harder than they are once you slow them down.|"
        "A good {role} will give you pieces you want to play, not just exercises.|"
        "Playing with other people teaches timing faster than any metronome.",
    ),
    _topic(
        "football",
        "grassroots football",
        things="the home ground|the youth team|a late equaliser|the new manager|the "
        "penalty area|the league table|the clubhouse|a training session|the away "
        "end|the first half|the kit sponsor|the cup draw",
        plurals="supporters|goals|substitutes|clean sheets|away games|season tickets|"
        "corner kicks|young players|referees|volunteers|fixtures|injuries",
        actions="press higher up the pitch|keep a clean sheet|rotate the squad|"
        "train twice a week|play out from the back|defend set pieces better|"
        "give the youngsters a chance|sell more season tickets|fix the drainage|"
        "finish in the top half|bring in a new striker|stay calm under pressure",
        adjs="muddy|tense|dramatic|scrappy|dominant|nervy|famous|bruising",
        roles="supporter|coach|groundsman|club secretary|referee",
        titles="{Place} Rovers Need to {Action}|Match Report: {Place} Rovers "
        "{Score} {Place2} Town|{Small} Things We Learned From {Month}|Can the Youth Team "
        "Keep Its Run Going?|Inside the Club That Volunteers Built",
        headings="Match report|Team news|What the manager said|Next up",
        sentences="Rovers started brightly and had {small} chances before the half hour.|"
        "The equaliser came from a corner that should never have been given, according to "
        "the away bench.|Attendance has risen to around {number} for home games this "
        "season.|It was a {adj} afternoon, settled by one moment of quality in the second "
        "half.|The club relies on volunteers to run the bar, the gate and the programme.|"
        "A {role} said the pitch had taken a battering after weeks of rain.|The youth "
        "side have not lost since {month}, which says a lot about the coaching.|Next "
        "{weekday} they travel to {place}, where they have not won in {small} years.",
    ),
    _topic(
        "fitness",
        "staying active",
        things="a morning run|the local pool|a yoga mat|the park run|a rest day|the "
        "stretching routine|a pair of running shoes|the gym|a training plan|the "
        "warm up|a skipping rope|the rowing machine",
        plurals="squats|intervals|long walks|stretches|push ups|easy runs|swimming "
        "lengths|rest days|hill repeats|classes|sore muscles|personal bests",
        actions="warm up properly|start with short runs|stretch after every session|"
        "sleep eight hours|drink more water|take a rest day|build up slowly|"
        "find a training partner|mix running with swimming|keep a training diary|"
        "take small aches seriously|walk before running",
        adjs="gentle|demanding|steady|brisk|relaxed|exhausting|consistent|sustainable",
        roles="runner|swimming coach|physiotherapist|personal trainer|yoga teacher",
        titles="How to {Action} When You Hate Exercise|{Small} Weeks From the Sofa to "
        "Five Kilometres|The Case for {Plural}|Why You Should {Action}|Staying Active in "
        "{Season}",
        headings="Week one|Building up|Recovery|Food|Staying motivated",
        sentences="The first week is the hardest, and after that it slowly becomes a "
        "habit.|Most injuries come from doing too much too soon, not from a lack of "
        "talent.|A {role} in {place} suggests adding no more than ten percent a week.|"
        "Hill repeats feel awful at first and then, almost suddenly, they do not.|The park "
        "run starts at nine every {weekday} and anyone is welcome to walk it.|A {adj} "
        "routine you keep is better than a perfect one you abandon.|Sleep does more for "
        "recovery than any supplement on the shelf.|Swimming gives your joints a break "
        "while your heart and lungs still work hard.",
    ),
    _topic(
        "diy",
        "fixing things at home",
        things="the leaking tap|a cordless drill|the garden shed|a squeaky door|the "
        "bathroom sealant|a spirit level|the loft insulation|a damp wall|the skirting "
        "board|a wobbly shelf|the boiler|the fence panel",
        plurals="screws|wall plugs|paint brushes|floorboards|hinges|tiles|draughts|"
        "power tools|radiators|window frames|sandpaper sheets|shelves",
        actions="turn off the water first|measure twice and cut once|bleed the radiators|"
        "sand the surface smooth|use the right wall plug|seal the gaps around the window|"
        "replace the washer|prime the wood before painting|find the joists|"
        "wear safety glasses|tighten the hinges|clear the gutters",
        adjs="damp|sturdy|crooked|draughty|tidy|rotten|solid|awkward",
        roles="carpenter|plumber|electrician|decorator|handyman",
        titles="How to {Action} in an Afternoon|{Small} Jobs You Can Do Without a "
        "Tradesman|Fixing {Thing} Without Losing Your Temper|When to {Action} and When "
        "to Call a Professional|What I Learned Renovating an Old House",
        headings="Tools you need|Preparation|Step by step|Finishing|Safety",
        sentences="Before you start, {action}, or you will regret it halfway through.|"
        "Most {adj} walls in old houses are caused by blocked gutters rather than rising "
        "damp.|A good {role} will tell you when a job is simple enough to do yourself.|"
        "Cheap tools are a false economy, because they fail just when you need them.|"
        "Fill small holes with filler, let it dry overnight and sand it flat.|"
        "Leave electrical work to a qualified {role}, whatever the videos online say.|"
        "Paint always looks different on the wall, so try a small patch first.|A sharp "
        "blade cuts more safely than a blunt one, because you do not have to force it.",
    ),
    _topic(
        "books",
        "reading",
        things="the new novel|a short story collection|the library|a second hand "
        "bookshop|the book club|a thick biography|the final chapter|a debut novel|"
        "the reading list|a poetry pamphlet|the audiobook|a translated novel",
        plurals="novels|short stories|poems|memoirs|crime novels|biographies|"
        "library cards|book reviews|paperbacks|characters|plot twists|literary prizes",
        actions="read a little every night|join a book club|visit the library|"
        "keep a reading journal|reread an old favourite|try a translated novel|"
        "give up on books that drag|read the short stories first|"
        "borrow before buying|listen to an audiobook on the commute|"
        "read outside the usual genres|take notes in the margins",
        adjs="gripping|slow|moving|ambitious|funny|bleak|quiet|beautifully written",
        roles="reader|librarian|bookseller|novelist|critic",
        titles="Review: The Lantern Keeper by {Person}|{Small} Books to Read This "
        "{Season}|Why I Started to {Action}|The Best {Plural} of {Year}|In Praise of "
        "{Plural}",
        headings="The story|The writing|What did not work|Verdict|Read it if",
        sentences="The novel follows a family in {place} over three generations.|The "
        "first hundred pages are slow, but the payoff is worth the patience.|{Person} "
        "writes about small lives with great care and no sentimentality.|Our book club "
        "chose it for {month}, and it started the longest argument we have ever had.|"
        "It is a {adj} book, and the ending stayed with me for days.|A {role} at the "
        "library in {place} recommended it, and she was right.|The translation reads "
        "naturally, which is rarer than it should be.|Some of the chapters in the middle "
        "section could have been cut without losing anything.",
    ),
    _topic(
        "weather",
        "watching the weather",
        things="the weather station|a rain gauge|the barometer|the forecast|a cold "
        "front|the wind|the first frost|a heatwave|the storm|the sea fog|a dry "
        "spell|the thermometer",
        plurals="showers|gales|frosts|thunderstorms|clouds|sunny spells|floods|"
        "snowfalls|temperatures|records|rainfall totals|sea breezes",
        actions="read the barometer each morning|empty the rain gauge at nine|"
        "note the wind direction|watch the clouds from the west|log the daily maximum|"
        "compare forecasts|mount the thermometer in the shade|record every frost|"
        "check the river levels|share the readings online|photograph the sky|"
        "calibrate the sensors",
        adjs="wet|mild|blustery|dry|bitter|humid|changeable|settled",
        roles="weather watcher|forecaster|farmer|climate scientist|lifeboat volunteer",
        titles="{Month} Was the Wettest in {Small} Decades|How to {Action} Like a "
        "Forecaster|Why {Plural} Are So Hard to Predict|A Year of Weather in {Place}|"
        "What the Clouds Are Telling You",
        headings="The month in numbers|Records|The outlook|How we measure",
        sentences="Rainfall in {place} was nearly twice the average for {month}.|The "
        "temperature fell below freezing on {small} nights, the most since {year}.|A "
        "{adj} week ended with a gale that brought down trees across {county}.|Our "
        "station sits on a hill above the town, so it often reads a little colder.|"
        "Forecasts for the next day are far better than they were when I started "
        "recording.|The first frosts arrived earlier than usual this year, to the worry of local "
        "farmers.|A {role} explained that sea fog forms when warm air moves over cold "
        "water.|Spring came late, but the long dry spell that followed made up for it.",
    ),
    _topic(
        "education",
        "learning and teaching",
        things="the school library|a night class|the reading scheme|the science "
        "lab|a school trip|the exam timetable|the playground|an apprenticeship|the "
        "staff room|a language course|the parents' evening|the homework club",
        plurals="pupils|teachers|textbooks|exams|school meals|after school clubs|"
        "spelling tests|apprentices|school buses|reading volunteers|field trips|"
        "student loans",
        actions="read with children every evening|ask open questions|plan lessons "
        "together|praise effort over results|visit the museum|learn a new language|"
        "go back to college|set less homework|teach outside|mark work quickly|"
        "listen to the pupils|give feedback early",
        adjs="small|outstanding|overcrowded|rural|friendly|ambitious|patient|curious",
        roles="teacher|teaching assistant|school governor|parent|tutor",
        titles="Why Our School Decided to {Action}|{Small} Lessons From a Year of "
        "Teaching|Going Back to Learning at Forty|How to Help Children With {Plural}|"
        "{Place} School Opens Its New Library",
        headings="The idea|How it works|What pupils say|What comes next",
        sentences="The school has {number} pupils and a waiting list for the first "
        "time in years.|Children who read for pleasure tend to do better in every "
        "subject, not only English.|A {role} at the school said the change had made "
        "the mornings calmer.|The new library was built with money raised by parents "
        "over {small} years.|Adult classes at the college in {place} start again in "
        "{month}.|Pupils were asked what they wanted to learn, and the answers "
        "surprised everyone.|A {adj} class can do remarkable things with the right "
        "support.|Homework is now limited to reading and one short task a week.",
    ),
    _topic(
        "business",
        "running a small business",
        things="the corner shop|a market stall|the small bakery|a family firm|the "
        "online shop|the business plan|a bank loan|the high street|the cash flow|a "
        "new workshop|the delivery van|the shop window",
        plurals="customers|invoices|suppliers|opening hours|online orders|rents|"
        "apprentices|local brands|wholesale prices|regulars|staff rotas|margins",
        actions="chase late invoices|talk to customers every day|keep the books up to date|"
        "open on Sundays|sell online|train an apprentice|negotiate with suppliers|"
        "cut the waste|raise prices carefully|plan for the quiet months|"
        "work with other local shops|take a proper holiday",
        adjs="independent|struggling|thriving|seasonal|family-run|tiny|busy|new",
        roles="shopkeeper|baker|accountant|craft brewer|market trader",
        titles="How a {Place} Bakery Learned to {Action}|{Small} Lessons From Ten "
        "Years of Trading|Why Small Shops Should {Action}|The {Adj} Shops Keeping "
        "{Place} Alive|What Rising Rents Mean for {Plural}",
        headings="How it started|The hard years|What changed|Advice for others",
        sentences="The shop opened in {year} with one counter and a borrowed oven.|"
        "Rents on the high street have risen by a third in {small} years.|{Person} "
        "says customers come back because they are treated like neighbours.|Cash flow, "
        "not profit, is what closes most small firms.|A {adj} business needs a plan "
        "for the quiet months after Christmas.|They now sell online as well, which "
        "helped when the road was closed for repairs.|A local {role} helped them "
        "understand the numbers in the first year.|Half of the staff started as "
        "apprentices and stayed.",
    ),
    _topic(
        "photography",
        "taking photographs",
        things="an old film camera|the golden hour|a prime lens|the tripod|a "
        "landscape shot|the light meter|a portrait|the darkroom|a wide angle lens|"
        "the histogram|a camera bag|the editing software",
        plurals="photographs|lenses|sunsets|street scenes|prints|shadows|reflections|"
        "filters|contact sheets|memory cards|portraits|long exposures",
        actions="shoot in the early morning|use a tripod|check the histogram|"
        "get closer to the subject|back up the photographs|print the best frames|"
        "learn the manual settings|wait for the light|straighten the horizon|"
        "edit with a light touch|carry a spare battery|clean the lens",
        adjs="soft|harsh|grainy|sharp|moody|vivid|overexposed|atmospheric",
        roles="photographer|picture editor|camera repairer|wedding photographer|gallery owner",
        titles="How to {Action} for Better Pictures|{Small} Tips for Photographing "
        "{Plural}|Rediscovering Film in {Year}|A Walk With a Camera Through {Place}|"
        "Why You Should {Action}",
        headings="Equipment|Settings|Composition|Editing|Printing",
        sentences="The best light comes in the hour after sunrise, when the shadows are "
        "long and soft.|A cheap prime lens teaches you to move your feet instead of "
        "zooming.|Landscapes look best when there is something in the foreground to lead "
        "the eye.|The harbour at {place} is a gift on a {adj} morning.|Printing your "
        "work shows flaws that a screen hides.|A {role} once told me to take fewer "
        "pictures and look for longer.|Film forces you to slow down, because every "
        "frame costs money.|Straight horizons and clean edges matter more than the "
        "camera you use.",
    ),
]
TOPIC_BY_NAME = {t.name: t for t in TOPICS}
