"""English editing vocabulary the embedded planner reads with rules.

The op *choice* comes mostly from the op specs' example phrasings (embedded
with MiniLM); this module holds what rules do better than similarity: words
that name an op outright, the direction words of each axis (brighter/darker,
warmer/cooler, more/less), intensity words, region phrases, negation,
questions and requests that are not image edits at all.

All patterns are regular expressions matched against a lower-cased clause.
"""

from __future__ import annotations

# Words that name an op outright. A clause that matches one op's keywords is
# planned as that op; matches of several ops are settled by the embeddings.
# Ops missing from the registry are ignored, so this table may run ahead of it.
OP_KEYWORDS: dict[str, str] = {
    "brightness": r"\bbright(en|er|ness)?\b|\blighten|\blighter\b|\bdarken|\bdarker\b|\b(too |so )?dark\b"
    r"|\bdim(mer)?\b|\bluminos",
    "exposure": r"expos|\bstops?\b|\bev\b",
    "contrast": r"contrast|\bflat\b|\bpunch|\bharsh|\bmuddy\b|washed[- ]out",
    "saturation": r"saturat|colou?rful|\bcolou?rs? (pop|more intense|stronger|richer|weaker)|\bmute"
    r"|(less|more|reduce|increase|boost|kill|too much|some|extra) colou?r|\bdull\b|dull colou?rs|colou?rs? (are|look|seem)"
    r" (dull|washed|flat|muted|faded|bland|lifeless|weak)",
    "vibrance": r"vibran|\bvivid",
    "temperature": r"\bwarm|\bcool(er)?\b|\bcold(er)?\b|\bgolden\b|temperature|\btoo (blue|yellow|orange)\b|\bbluer\b"
    r"|(more|less) (blue|yellow|orange)\b",
    "tint": r"\btint\b|magenta|\bgreen(ish)? (cast|tint)|\btoo (green|pink|purple)\b|\bgreener\b|\bpinker\b",
    "white_balance": r"white[- ]?balance|\bwb\b|colou?r cast|\bcast\b|neutral|colou?rs? (look |are )?off"
    r"|fix the colou?rs",
    "shadows": r"\bshadows?\b|dark (areas|parts|regions)|\bblacks\b|\bcrush",
    "highlights": r"highlights?\b|blown|\bwhites\b",
    "local_contrast": r"clarity|local contrast|\bhdr\b|\bstructure\b|\bgritty",
    "dehaze": r"\bhaz[ey]|\bfog|\bmist|\bsmog",
    "hue": r"\bhues?\b|colou?r wheel",
    "grayscale": r"desaturate (it )?(completely|fully|entirely|totally|all the way)|(remove|strip|drop) (all )?"
    r"(the )?colou?rs?\b|no colou?rs?|black[- ]and[- ]white|\bb ?& ?w\b|\bb/w\b|gr[ae]yscale|monochrom|\bmono\b|\bnoir\b",
    "sepia": r"sepia",
    "color_transfer": r"reference|match the (colou?rs?|look|grade|grading)|colou?r grad",
    "denoise": r"nois|grain|\biso\b|denois",
    "grain": r"\b(add|adding|give( it)?|put|with|film|analog(ue)?|coarse|fine|subtle|heavy|some)\b.{0,15}\bgrain\b"
    r"|shot on film|film look",
    "sharpen": r"sharp|crisp|unsharp|\bdetails?\b|definition",
    "deblur": r"deblur|unblur|\bblurry\b|(is|looks?|it's|its|seems?|got|slightly|bit|little|totally|completely|was|"
    r"came out) out of focus|camera shake|shaky|(fix|remove|reduce|undo|correct) (the )?motion blur|\bsoft focus\b",
    "blur": r"\bblur(?!ry)|bokeh|depth of field|\bdof\b|portrait mode|(make|put|throw|go) .{0,25}out of focus",
    "pixelate": r"pixel(ate|ated|ize|ise|iz|is)|mosaic|censor|blocky|8-bit",
    "crop": r"\bcrop|\btrim|\bcut off|aspect|\breframe|\b\d{1,2}\s*:\s*\d{1,2}\b",
    "resize": r"resiz|\bshrink|downsiz|downscal|\bsmaller\b|\bscale (it )?(down|to)|dimensions|\d\s*px\b",
    "upscale": r"upscal|upsampl|enlarg|\bbigger\b|super[- ]?res|higher resolution|increase (the )?resolution",
    "rotate": r"rotat|\bturn (it|the (photo|picture|image))|straighten|\btilt|\blevel\b|crooked|sideways"
    r"|clockwise|horizon",
    "flip": r"\bflip|\bmirror",
    "stylize": r"sketch|pencil|cartoon|comic|\boil\b|painting|painterly|\bpaint (it|this)|painted look"
    r"|look painted|watercolou?r|drawing|drawn|anime",
    "vignette": r"vignett|\bcorners\b",
    "inpaint": r"\berase|\binpaint|fill (in )?(the )?(hole|gap|missing|masked|area|region|spot|selection|"
    r"part)|\b(remov\w*|get rid of|take out|delete|clean up) (the |this |that |these |those |all |any )?(\w+ ){0,3}"
    r"(person|people|object|thing|man|woman|guy|girl|car|sign|watermark|logo|text|photobomber|tourists?|"
    r"power ?lines?|wires?|blemish|pimple|spots?|stain|trash|bin|can|pole|cable|bottle|cup|plate|tattoo|"
    r"graffiti|crane|scaffolding|caption|words|writing|lettering|strangers?|bystanders?|passers?-?by|crowd)",
    "remove_scratches": r"scratch|crease|\bcracks?\b|\btears?\b|lines? (across|over|on) the",
    "remove_dust": r"\bdust|specks?\b|speckles",
    "restore_old_photo": r"\bold (photo|picture|scan|print|image)|restor|damaged|\bfaded (photo|print|scan)"
    r"|grandparents|antique scan",
    "auto_enhance": r"enhanc|\bimprove|\bauto\b|auto[- ]?(fix|adjust|correct)|look (better|good|nicer)"
    r"|\bfix (this|it|the photo|the picture|the image|my photo)\s*$|\bnicer\b|touch[- ]?up",
    "remove_background": r"(remove|delete|cut out|erase|get rid of) (the )?background\s*($|[,.;!]|and\b|then\b|so\b|for\b"
    r"|completely|entirely)|transparent background"
    r"|background remov|cut (me|him|her|the subject|the person) out",
    "describe": r"describe|\bwhat('s| is) in\b|what do you see|caption|how good|quality|is it (blurry|noisy|sharp"
    r"|dark|bright|in focus)|\bexposed\b\?",
    "detect_faces": r"how many (faces|people|persons)|\bfaces?\b.*\?|find (the |all )?faces|detect faces"
    r"|anyone|anybody|\bare there (any )?(people|faces)",
    "ocr": r"\bread\b|\bsays?\b|\bwritten\b|\btext\b|\bsign\b|\bocr\b|\bwords?\b|\bcaption says|extract"
    r"|transcribe|\bwriting\b|lettering",
    "generate": r"\bgenerate|\b(draw|paint) me\b|\b(create|make|render) (me )?(an? )?(new )?(image|picture|photo|painting|"
    r"illustration)s? (of|showing)|\bimagine\b|text[- ]to[- ]image|\brender (me )?an? ",
    "texture": r"seamless|tileable|\btexture from",
}

# Direction words per axis: +1 / -1. Each op reads its own axis; ops not listed
# use the generic "more / less" axis. "too X" and "not X enough" flip a word.
LIGHT_AXIS: dict[str, int] = {
    r"bright(en|er)|lighten|lighter|\blift|raise|open(ing)? up|\bup\b|\bboost|increase|\bmore\b|\bhigher\b"
    r"|bring out|\bbring up\b|\bbright\b|\blight\b|underexposed|\bplus\b": 1,
    r"dark(en|er)|deepen|deeper|crush|\bdown\b|lower|reduce|decrease|\bless\b|\bpull|tone (it |them )?down"
    r"|knock|\bminus\b|negative|\bdark\b|\bdim\b|gloomy|murky|blown|overexposed|\bdrop\b|\bkill\b|\bcut\b"
    r"|in shadow": -1,
}
SHADOWS_AXIS: dict[str, int] = {
    r"bright(en|er)|lighten|lighter|\blift|raise|open(ing)? up|\bup\b|\bboost|increase|\bmore\b|recover"
    r"|bring (out|back|up)|\bsave\b|rescue|\bshow\b|reveal|crushed|blocked|\bplus\b|\bfill|detail": 1,
    r"\bdark\b|dark(en|er)|deepen|deeper|\bcrush\b|\bdown\b|lower|reduce|decrease|\bless\b|richer|\bminus\b|negative"
    r"|inky|moody": -1,
}
HIGHLIGHTS_AXIS: dict[str, int] = {
    r"bright(en|er)|lighten|\bboost|increase|\bmore\b|\bpop\b|\bup\b|\bplus\b|\bglow|\braise|whiten|whiter": 1,
    r"recover|tame|bring back|\bsave\b|rescue|\bdown\b|lower|reduce|decrease|\bless\b|\bpull|tone (it |them )?down"
    r"|knock|\bminus\b|negative|blown|overexposed|\bbright\b|clipp|\bdarken|\bdim\b|\bcut\b": -1,
}
WARM_AXIS: dict[str, int] = {
    r"warm|golden|\borange\b|\byellow(ish)?\b|amber|sunset|sunny|cozy|raise the temp|\bhot\b": 1,
    r"cool|\bcold(er)?\b|\bblue\b|bluish|bluer|more blue|\bicy\b|winter|frosty|lower the temp": -1,
}
TINT_AXIS: dict[str, int] = {
    r"magenta|pink|purple|rosy": 1,
    r"\bgreen(er|ish)?\b": -1,
}
HAZE_AXIS: dict[str, int] = {
    r"\bremov|\bclear|\bcut|\breduc|\bclean|\bless\b|get rid|dehaze|\bfix|cut through|\blift": 1,
    r"\badd|\bmore\b|dreamy|make it (foggy|hazy|misty)|increase|atmosphere": -1,
}
GENERIC_AXIS: dict[str, int] = {
    r"\bmore\b|increase|boost|\badd\b|raise|\bup\b|higher|stronger|enhance|\bpop\b|punch|rich|vivid"
    r"|intensify|crank|amp up|bump|heavier|extra|deepen|\bflat\b|washed[- ]out|\bdull\b|muted|lifeless|bland"
    r"|faded|boring|muddy|\bmore of\b|bring out|livel|not enough": 1,
    r"\bless\b|reduce|decrease|lower|\bdown\b|weaker|weaken|\bremov|tone (it |them )?down|\bmute|\bcalm"
    r"|soften|subtler|\bcut\b|\bdrop\b|too (strong|much|harsh|intense|saturated|vivid|punchy|contrasty|colou?rful)"
    r"|overdone|over-?saturated|garish|\bharsh|contrasty|desaturat|\bdial (it |them )?back|ease off|turn down"
    r"|knock|\bminus\b|negative|\bkill\b|take (some|the) .* out|too much|\bdreamy|\bpull back\b"
    r"|neon|radioactive|cartoonish": -1,
}
AXES: dict[str, dict[str, int]] = {
    "brightness": LIGHT_AXIS,
    "exposure": LIGHT_AXIS,
    "shadows": SHADOWS_AXIS,
    "highlights": HIGHLIGHTS_AXIS,
    "temperature": WARM_AXIS,
    "tint": TINT_AXIS,
    "dehaze": HAZE_AXIS,
}

# Ops that move the same quality, so a diagnosis and a fix may name different ones.
AXIS_GROUPS = {
    "brightness": "light",
    "exposure": "light",
    "shadows": "light",
    "highlights": "light",
    "saturation": "colour",
    "vibrance": "colour",
}

# Prepositions that make a region a place rather than the target ("erase the
# people in the background" acts on the people).
LOCATIVE = r"\b(in|on|at|from|into|behind|near|across|over)( the| my| this)?\s*$"

# Adjectives that describe the picture. Said of the picture ("too dark", "it
# looks dim", "way too orange") they ask for the opposite; the axes list every
# word with its own meaning ("dark" is -1), so the planner flips these.
STATE_WORDS = r"dark|dim|gloomy|murky|bright|light|blue|bluish|orange|yellow|yellowish|green|greenish|greener|pink|magenta|purple|cold|warm|cool|hot|icy|in shadow|rosy"
STATE_CONTEXT = (
    r"(\btoo|\bso|\bvery|\breally|overly|\bis|\bare|'s|'re|\blooks?|\bseems?|came out|getting|\bgot|\bwas"
    r"|\bwere|\bfeels?|\bway too|(^|\b(is|are|'s|looks?|seems?|it|its|photo|picture|image|pic|shot|everything))"
    r"\s+(a bit|bit|a little|kinda|kind of|somewhat|quite|pretty|rather|much))(\s+(too|so|very|really|much))?\s+$"
)
# Words just before an axis word that ask for less of it ("less magenta",
# "remove the green cast", "kill the yellow").
REDUCING = r"(\bless|reduce|remove|\blower|decrease|\bcut|\bkill|get rid of|take out|tone down|\bfewer|\bno|\bminus)(\s+the)?\s+$"

# Amount scale for intensity words (checked in order; the first match wins).
INTENSITY: tuple[tuple[str, float], ...] = (
    (r"\bnot too much\b|\bnot too\b|\bbarely\b|\btiny\b|\bhint of\b|\bsmidge", 0.35),
    (
        r"\bslight(ly)?\b|\ba (little )?bit\b|\ba little\b|\ba touch\b|\btouch of\b|\bsomewhat\b|\bsubtle|\bgentl"
        r"|\ba tad\b|\bmild|\bjust a\b|\ba hair\b|\blightly\b|\bsoft(ly)?\b|\bnot much\b|\bminor\b",
        0.5,
    ),
    (
        r"\ba lot\b|\bmuch\b|\bvery\b|\breally\b|\bway\b|\bsignificantly|\bstrong(ly)?\b|\bheav(y|ily)\b"
        r"|\bdramatic|\bsuper\b|\bextremely|\bmassive|\bconsiderabl|\btons?\b|\bseriously|\bway more|\bhuge"
        r"|\bintense|\baggressive|\bmax(imum)?\b|\bloads\b|\bso\b",
        2.0,
    ),
)

# Region phrases, longest first where they overlap. "shadows" and
# "highlights" are regions only when another op acts on them ("warm up the
# shadows"); "brighten the shadows" is the shadows op.
REGIONS: tuple[tuple[str, str], ...] = (
    (
        r"\b(the )?back ?grounds?\b|\bbg\b|\bbehind (him|her|them|me|the (person|subject))\b|\bbackdrop",
        "background",
    ),
    (r"\b(the )?fore ?ground\b|\b(the )?(main )?subject\b", "foreground"),
    (r"\b(the )?(sky|skies|clouds)\b", "sky"),
    (r"\b(the |her |his |their |my |our |all )?(faces?|skin|complexion)\b", "faces"),
    (
        r"\b(the |that |this )?(person|people|man|woman|guy|girl|boy|kids?|child|children|model|couple|portrait"
        r" subject|photobombers?|tourists?|passers?-?by|bystanders?|strangers?|crowd)\b|\b(him|her)\b",
        "people",
    ),
    (r"\b(the |any |all )?(text|writing|words|lettering|caption|watermark)\b", "text"),
    (r"\b(in |on |to )?(the )?(shadows|dark (areas|parts|tones|bits))\b", "shadows"),
    (r"\b(in |on |to )?(the )?(highlights|bright (areas|parts|tones|bits))\b", "highlights"),
)

# Things with no region provider: the user paints them ("remove the trash can"
# → inpaint on the mask region).
OBJECTS = (
    r"\b(licen[cs]e ?plates?|number ?plates?|plates?|logos?|trash ?can|bin|power ?lines?|wires?|cables?|poles?"
    r"|objects?|things?|stuff|cars?|signs?|house number|address|tattoos?|name ?tags?|badges?|screens?|bottles?"
    r"|cups?|stains?|blemish(es)?|pimples?|spots?|marks?|graffiti|scaffolding|cranes?|boats?|birds?|dogs?|cats?"
    r"|area|selection|marked|painted|selected|masked|brushed)\b"
)

COLOURS: dict[str, str] = {
    "red": r"reds?|crimson",
    "orange": r"oranges",
    "yellow": r"yellows",
    "green": r"greens|greenery|foliage|grass|leaves|trees",
    "cyan": r"cyans?|teals?",
    "blue": r"blues|water|sea|ocean",
    "purple": r"purples|violets?",
    "magenta": r"magentas",
}

# A colour band as a region ("the reds", "red tones", "the blues in the water").
COLOUR_REGION = r"\b(the )?({names})(?: (tones|hues|colou?rs|channel))?\b"

# Clause boundaries and the few phrases that contain "and" but are one idea.
CLAUSE_SPLIT = (
    r"\s*(?:(?:[,;!]|\.(?=\s|$))+\s*(?:and |then |but |also |plus )?(?:then )?|\s+and then\s+|\s+and also\s+"
    r"|\s+then\s+|\s+and\s+|\s+but\s+|\s+also\s+|\s+plus\s+|\s+after that\s+|\s+afterwards\s+"
    r"|\s+as well as\s+|\s+followed by\s+|\s+while\s+"
    r"|\s+with\s+(?=(?:lots of|more|less|some|a bit|a little|extra|a lot|plenty|heavy|strong|high|low|added|film|grain"
    r"|a vignette)\b))"
)
REWRITES = (
    (r"black\s+and\s+white", "black-and-white"),
    (r"brown\s+and\s+white", "brown-and-white"),
    (r"salt\s+and\s+pepper", "salt-and-pepper"),
    (r"black\s*&\s*white|\bblack white\b", "black-and-white"),
    (r"\bnot (so|as|that|too) (dark|dim)\b", "brighter"),
    (r"\bnot (so|as|that|too) bright\b", "darker"),
    (r"\bmore dark\b|\bless bright\b", "darker"),
    (r"\bmore bright\b|\bless dark\b", "brighter"),
    (r"\bno more (noise|grain|haze|blur|dust|scratches|specks)", r"remove the \1"),
    (r"\b(a|one) (bit|little|touch) (brighter|darker|warmer|cooler|more|less)", r"\1-\2 \3"),
)

# A clause that only restricts the edit ("don't touch the colours", "keep the
# skin natural", "nothing else") or says not to do something ("no sharpening").
NEGATION = (
    r"^(but )?(please )?(never|no|not|without|nothing|avoid|keep|leave|preserve|retain|careful|make sure|except"
    r"|only|except)\b|\b(don't|do not|dont|never|shouldn't|should not|mustn't)\b|\bnothing else\b"
    r"|\bleave (it|the|them|everything)\b|\bunchanged\b|\bas (it|they) (is|are)\b|\bas is\b"
)

# Words that point back at the previous clause's subject.
PRONOUNS = r"\b(it|this|that|them|those|these|they|the (photo|picture|image|pic|shot)|my (photo|picture|image|pic))\b"
REFERS_BACK = r"\b(it|them|that|those|they|these|this)\b|^(please )?(fix|sort|correct|clean|repair)\b"

# A clause that says what is wrong rather than what to do ("it's too dark",
# "the colours look off", "lots of noise", "way too orange").
DIAGNOSIS = (
    r"^(it|this|that|everything|there|they|colou?rs?|whites?|photo|pic|image|picture|shot|the \w+|my \w+|her \w+"
    r"|his \w+|their \w+)( \w+)?\s*('s|'re|is|are|looks?|seems?|came out|comes out|feels?|appears?|was|were|got|has"
    r"|have|turned out)\b|^(it's|its|they're|there's|theres|that's|way too|too|so|kinda|kind of|bit|quite|badly"
    r"|slightly too|a bit too|lots of|a lot of|tons of|much|very|really|shot at|taken)\b|^\w+ (is|are|looks?)\b|^\w+( \w+)? too\b"
)

# Words left over when a clause is only a modifier of the previous step
# ("make it warmer, but not too much", "brighten it a lot").
MODIFIER_ONLY = (
    r"^(but |and )?(just |only )?(not )?(too much|a lot|a little( bit)?|a bit|slightly|subtly|gently|"
    r"strongly|much more|way more|a touch|not much|please|pls|thanks|thank you|very much|lots)\.?$"
)

# Polite or framing words that carry no meaning for the plan.
POLITE_PREFIX = (
    r"^(?:(?:hey|hi|hello|ok|okay|so|um+|well|yo)[, ]+)?(?:please |pls |plz |kindly )?"
    r"(?:(?:can|could|would|will)(?: you| u)?(?: please| pls)?|can i|could i|i(?:'d| would) like (?:you )?to|i want (?:you )?to"
    r"|i need (?:you )?to|help me|let's|let us|go ahead and|try to|try and|i wanna|you should|we should"
    r"|i'd love (?:you )?to|can we|could we|would you mind)?\s*(?:please |pls )?"
)

# Questions about the image are answered by understanding ops, not edits.
QUESTION = (
    r"^(what|what's|whats|how|is|are|does|did|who|which|where|why|when|was|were|any|tell me|describe"
    r"|count|identify|show me|give me a description|do (you|i|we|they|these|those)|can you (see|tell|read|find|"
    r"count|describe|spot))\b"
)
# A question mark makes a question unless the words ask for an edit ("can you lighten it?").
QUESTION_MARK = r"\?\s*$"
# Words that keep a question about *the image* (answered by describe) apart from off-topic ones.
IMAGE_WORDS = (
    r"\b(image|photo|picture|pic|shot|it|this|resolution|size|big|camera|lens|taken|colou?rs?|cast|exposure|exposed"
    r"|blurry|blur|noisy|noise|sharp|focus|dark|bright|quality|faces?|people|text|horizon|tilted|straight|iso"
    r"|megapixels?|dimensions|format|shadows|highlights|contrast|saturat)\b"
)
UNDERSTANDING_OPS = ("describe", "detect_faces", "ocr")
# Ops whose naming words include region words ("remove the text", "what does the sign say").
WHOLE_CLAUSE_KEYWORDS = (*UNDERSTANDING_OPS, "inpaint", "remove_background", "generate")
# What a generation request asks to see ("generate an image of a cat" → "a cat").
PROMPT = (
    r"(?:image|picture|photo|painting|drawing|illustration|render(?:ing)?|art(?:work)?)s?\s+(?:of|showing)\s+(.+)",
    r"(?:text[- ]to[- ]image\s*:?|generate|create|draw(?: me)?|paint(?: me)?|render(?: me)?|imagine)\s+(.+)",
)

# A file the user names ("match the colours to ref.jpg").
FILE_NAME = r"(?<![\w/.~-])[\w./~-]+\.(?:jpe?g|png|tiff?|webp|bmp|gif|heic)\b"

# A glossed Chinese clause that ends in its verb.
TRAILING_VERB = r"([^,;.?]+?)\s+(remove|erase|delete|restore|repair|fix)\s*([,;.?]|$)"

# An edit asked with a question mark ("make it warmer?") starts with a verb.
IMPERATIVE = (
    r"^(make|turn|add|remove|increase|reduce|decrease|boost|lower|raise|brighten|darken|lighten|sharpen|blur"
    r"|crop|rotate|flip|resize|fix|give|put|apply|convert|change|set|bring|lift|pull|push|warm|cool|erase|clean"
    r"|get rid|enhance|improve|restore|straighten|desaturate|saturate|mute|tone|knock|open|recover)\b"
)

# Requests that try to make the program do something other than edit images.
INJECTION = (
    r"ignore (all |any |the )?(previous|prior|above|earlier|your) (instructions|prompts?|rules)"
    r"|disregard (all |the |your )?(previous |prior )?(instructions|rules)|system prompt|jailbreak"
    r"|\brm -rf\b|\bsudo\b|\bshell\b|\bterminal\b|\bexecute\b|\bexec\(|\beval\(|\bpowershell\b|\bbash\b"
    r"|\bdelete (all |every |my |the )?(files?|folders?|directory|directories|database|data|everything)"
    r"|\bformat (the |my )?(disk|drive|hard ?drive)|\bdrop table\b|\bselect \* from\b|;\s*--|<script"
    r"|\bpasswords?\b|api[_ ]?keys?|\bcredentials\b|\bssh\b|\bcurl\b|\bwget\b|/etc/passwd|\bchmod\b"
    r"|\bos\.system|subprocess|\bimport os\b|__import__|\bdownload (and run|malware)|\bhack\b"
    r"|run (this|the|a) (command|script|code|program)|send (me |an? |it |this )?(e-?mail|message)|\bbitcoin\b"
    r"|\bupload\b|\bserver\b|\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b|\be-?mail (this|it)|https?://|\bftp\b"
    r"|(delete|remove|overwrite|rename|move) (the |my )?(original|source) (file|image|photo)|\bdelete (it|this) file"
)

# Off-topic requests: the embedded planner compares each clause with these as
# well as with the op examples and refuses when one of these is nearer.
OFF_TOPIC_EXAMPLES = (
    "order me a pizza",
    "what's the weather tomorrow",
    "write me a poem",
    "tell me a joke",
    "book a flight to paris",
    "send an email to my boss",
    "what is the capital of france",
    "play some music",
    "set an alarm for 7 am",
    "translate this sentence into french",
    "who won the football game",
    "buy me some shoes",
    "call my mom",
    "how do i cook pasta",
    "solve this math problem",
    "write a python script",
    "what time is it",
    "recommend a movie",
    "summarize this article",
    "explain quantum physics",
    "do my homework",
    "turn off the lights",
    "what is the meaning of life",
    "sing a song",
    "hello how are you",
)

# Things people say that name no op but are still about images: asked about,
# they get "did you mean" suggestions instead of a silent guess.
FILLER = (
    r"^(it|this|that|the (photo|picture|image|pic|shot|one)|my (photo|picture|image)|please|pls|thanks?"
    r"|thank you|ok|okay|also|and|then|too|now|a bit|a lot|some|more|less)?\s*[.!?]*$"
)
