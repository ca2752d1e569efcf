// The built-in corpus of the text world: short original tales about a harbour town, plain ASCII prose written for
// PrefLab, small enough to ship in the bundle and to train on in seconds; and preference pairs written on them.

export const HARBOR_TALES = `The Lamp on the Hill

At the end of the harbour road there was a hill, and on the hill there was a lamp. Every evening the keeper
climbed the hill with a can of oil, and every evening the boats came home by its light. The keeper was old, and
the hill was steep, but the lamp was never dark.

One night the wind was so strong that the keeper could not stand. She sat down on the path and held the can of
oil in her lap. A boy from the bakery saw her there. He took the can, and he climbed the hill, and he lit the
lamp. The boats came home by its light, and in the morning the keeper gave the boy her key.

The Baker and the Gull

The baker opened his shop before the sun was up. He set the bread on the sill to cool, and a gull came down
from the roof and took a roll. The next day the gull took two rolls. On the third day the baker set out a small
loaf just for the gull, and the gull took the small loaf and left the rolls alone. The baker said that a fair
price is better than a fight, and the gull said nothing at all, because it was a gull.

The Ferry

The ferry crossed the bay four times a day. In the morning it carried fish and nets, at noon it carried letters,
in the evening it carried people going home, and at night it carried the moon on the water behind it. The
ferryman knew every rock in the bay by name. When the fog came down he did not need to see them; he listened to
the bell on the point and counted the waves.

The Net Mender

Down by the water sat the net mender. She mended the nets of every boat in the harbour, one knot at a time. A
net with one hole catches half the fish, she said, and a net with ten holes catches the wind. The young sailors
laughed at her, until the storm came and tore their nets, and then they sat down beside her and learned to tie
the knots themselves.

The Lost Bell

In the spring the bell on the point was lost. The storm had broken its rope, and the sea had taken it. Without
the bell the ferry could not cross in the fog, and the fishing boats stayed in the harbour. The smith said he
could make a new bell, but he needed bronze. So the people of the town brought him what they had: a pot, a
lamp, a buckle, a spoon, an old coin. The smith melted it all down and cast a new bell, and when it rang for
the first time everyone in the town could hear a little of their own kitchen in it.

The Two Boats

There were two boats in the harbour, a red one and a blue one. The red boat went out early and came home early,
with a few fish. The blue boat went out late and came home late, with many fish. The red captain said that the
early fish are the best fish. The blue captain said that the best fish are the ones you catch. They argued about
it every evening at the inn, and every evening the innkeeper cooked both kinds of fish and said nothing, because
he was paid either way.

The Keeper's Key

The boy from the bakery kept the key to the lamp on a string around his neck. He climbed the hill every evening
with the can of oil, and every evening the boats came home by the light. When he was old he gave the key to a
girl from the net mender's house, and she climbed the hill, and the lamp was never dark.

The Tide

Twice a day the tide went out and the harbour was mud, and twice a day the tide came in and the harbour was sea.
The children of the town ran out on the mud to find shells and crabs, and they ran back when the water turned.
The old people said that the sea always comes back, and the children said that they knew, and they ran out
again the next day.

The Inn

The inn stood at the corner of the harbour road and the market street. In winter it was warm and full of
sailors, and in summer it was cool and full of travellers. The innkeeper knew the name of every boat and the
price of every fish. When a stranger asked him the way to the lamp, he pointed up the hill and said that the
road goes up, and the light comes down, and that is all there is to know.

The Market

On market day the square was full of carts. There were apples from the farms, cheese from the hills, fish from
the boats and bread from the bakery. The gull sat on the roof of the inn and watched the bread. The baker
watched the gull. The children watched the baker watching the gull, and they laughed, and the gull took a roll
anyway, because it was market day and everyone was busy.

The Storm

In the autumn a great storm came in from the sea. The ferry stayed at the pier, the boats stayed in the harbour,
and the people stayed in their houses. Only the lamp on the hill stayed awake. The girl with the key climbed
the hill in the rain, and she lit the lamp, and one boat that was still out at sea saw the light and came home.
In the morning the sky was clear, and the whole town came down to the harbour to see the boat that the lamp had
brought back.
`;

/**
 * Preference pairs on the tales, as JSONL in TRL's format (standard and conversational lines, one with an implicit
 * prompt): the chosen endings bring the boats home by the lamp, the rejected ones lose them.
 */
export const HARBOR_PAIRS = `{"prompt": "The keeper climbed the hill, and", "chosen": " the boats came home by the light.", "rejected": " the boats were lost in the dark."}
{"prompt": "The wind was strong that night, and", "chosen": " the lamp was never dark.", "rejected": " the lamp went out."}
{"prompt": "The boy from the bakery took the can of oil, and", "chosen": " he lit the lamp, and the boats came home.", "rejected": " he dropped it, and the boats were lost."}
{"prompt": "When the fog came down,", "chosen": " the ferryman listened to the bell and came home.", "rejected": " the ferryman could not see, and he was lost."}
{"prompt": "The girl with the key climbed the hill in the rain, and", "chosen": " the boat at sea came home by the light.", "rejected": " the boat at sea was lost in the storm."}
{"prompt": "In the storm the boats were out at sea, but", "chosen": " the lamp was lit and they came home.", "rejected": " the lamp was dark and they were lost."}
{"prompt": "The smith cast a new bell, and", "chosen": " the ferry came home in the fog.", "rejected": " the ferry was lost in the fog."}
{"prompt": "The net mender tied the knots, and", "chosen": " the boats came home with many fish.", "rejected": " the nets were lost in the storm."}
{"prompt": "Every evening the keeper lit the lamp, and", "chosen": " every evening the boats came home.", "rejected": " one evening the lamp went out."}
{"prompt": "The red boat went out early, and", "chosen": " it came home early by the light.", "rejected": " it was lost in the dark."}
{"prompt": "The blue boat went out late, and", "chosen": " it came home late by the light of the lamp.", "rejected": " it was lost at sea."}
{"prompt": "The old keeper gave the boy her key, and", "chosen": " the lamp was never dark.", "rejected": " the lamp went dark."}
{"prompt": "The tide went out, and the children ran on the mud, and", "chosen": " they came home when the water turned.", "rejected": " they were lost when the water turned."}
{"prompt": "The lamp on the hill was lit, so", "chosen": " the fishing boats came home.", "rejected": " the fishing boats were lost."}
{"prompt": "The bell rang on the point, and", "chosen": " the ferry found its way home.", "rejected": " the ferry was lost on the rocks."}
{"prompt": "The storm broke the rope of the bell, but", "chosen": " the people brought bronze and the bell rang again.", "rejected": " the bell was lost and never rang again."}
{"prompt": [{"role": "user", "content": "Who lit the lamp in the storm"}], "chosen": [{"role": "assistant", "content": "The girl with the key lit the lamp, and the boat came home."}], "rejected": [{"role": "assistant", "content": "Nobody lit the lamp, and the boat was lost."}]}
{"prompt": [{"role": "user", "content": "What did the boy do with the can of oil"}], "chosen": [{"role": "assistant", "content": "He climbed the hill and lit the lamp, and the boats came home."}], "rejected": [{"role": "assistant", "content": "He sat down, and the lamp went out."}]}
{"prompt": [{"role": "user", "content": "What happened to the boats in the fog"}], "chosen": [{"role": "assistant", "content": "They listened to the bell and came home."}], "rejected": [{"role": "assistant", "content": "They were lost in the fog."}]}
{"prompt": [{"role": "user", "content": "What did the keeper give the boy"}], "chosen": [{"role": "assistant", "content": "She gave him her key, and the lamp was never dark."}], "rejected": [{"role": "assistant", "content": "She gave him nothing, and the lamp went dark."}]}
{"chosen": [{"role": "user", "content": "Where did the boats come"}, {"role": "assistant", "content": "They came home by the light of the lamp."}], "rejected": [{"role": "user", "content": "Where did the boats come"}, {"role": "assistant", "content": "They were lost at sea."}]}
`;

/** Built-in corpora by the name a config gives them. */
export const BUILTIN_CORPORA = { 'harbor-tales': HARBOR_TALES } as const;

export type BuiltinCorpus = keyof typeof BUILTIN_CORPORA;
export const BUILTIN_CORPUS_NAMES = Object.keys(BUILTIN_CORPORA) as BuiltinCorpus[];
