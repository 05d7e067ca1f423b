#!/usr/bin/env bash
# Regenerates the pause sets: Hebrew utterances with one mid-sentence pause of 300-900 ms,
# spoken by espeak-ng as 8 kHz mono 16-bit WAV. In transcripts.tsv ' | ' marks the pause, which
# the Speech emulator uses to reveal (and, on the Google-like profile, to finalize) the words
# spoken before it. About half the pauses follow a word that needs a continuation (את, של, עם,
# אבל), half follow words that could end a sentence.
#
#   agent/test/fixtures/audio/pauses        (default set) each line is ONE utterance with an SSML
#       <break> at the pause: the words before it keep mid-sentence intonation (level pitch),
#       as a caller who stops to think does; the pause is then set to the exact length.
#   agent/test/fixtures/audio/pauses-split  (the first set, kept for comparison) each half is a
#       separate utterance, so the first half ends with espeak-ng's sentence-final fall: an
#       afterthought ("I ordered a fridge. Two weeks ago."), not a mid-sentence pause.
# docs/bench/turn.md reports both. Needs espeak-ng and sox (Debian).
set -euo pipefail
root="$(dirname "$0")/../agent/test/fixtures/audio"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
to8k() { sox "$1" -r 8000 -c 1 -b 16 "$2"; }
# espeak-ng pads each clip with silence: trim it so the pause is exactly what is asked for.
trim_end() { sox "$1" "$2" reverse silence 1 0.01 0.5% reverse; }
trim_start() { sox "$1" "$2" silence 1 0.01 0.5%; }
join_with_gap() { # a b pause-ms out
  sox -n -r 8000 -c 1 -b 16 "$tmp/gap.wav" trim 0 "$(printf '0.%03d' "$3")"
  sox "$1" "$tmp/gap.wav" "$2" "$4"
}
split_set() { # name pause-ms before after
  local out="$root/pauses-split"
  espeak-ng -v he -s 150 -w "$tmp/a.wav" "$3"
  espeak-ng -v he -s 150 -w "$tmp/b.wav" "$4"
  to8k "$tmp/a.wav" "$tmp/a8.wav"
  to8k "$tmp/b.wav" "$tmp/b8.wav"
  trim_end "$tmp/a8.wav" "$tmp/a8t.wav"
  trim_start "$tmp/b8.wav" "$tmp/b8t.wav"
  join_with_gap "$tmp/a8t.wav" "$tmp/b8t.wav" "$2" "$out/$1.wav"
}
one_utterance_set() { # name pause-ms before after
  local out="$root/pauses"
  espeak-ng -v he -s 150 -m -w "$tmp/u.wav" "<speak>$3 <break time=\"$2ms\"/> $4</speak>"
  to8k "$tmp/u.wav" "$tmp/u8.wav"
  trim_start "$tmp/u8.wav" "$tmp/u8s.wav"
  # Split at the break (the only silence of 250 ms or more), trim both pieces, and join them
  # with the exact pause: espeak-ng's break length is approximate.
  rm -f "$tmp"/piece*.wav
  sox "$tmp/u8s.wav" "$tmp/piece.wav" silence 1 0.01 0.5% 1 0.25 0.5% : newfile : restart
  local pieces=("$tmp"/piece*.wav)
  if [ "${#pieces[@]}" -lt 2 ]; then
    echo "make-pause-fixtures: no break found in $1" >&2
    exit 1
  fi
  trim_end "${pieces[0]}" "$tmp/p1.wav"
  trim_start "${pieces[1]}" "$tmp/p2s.wav"
  trim_end "$tmp/p2s.wav" "$tmp/p2.wav"
  join_with_gap "$tmp/p1.wav" "$tmp/p2.wav" "$2" "$out/$1.wav"
}
say() { # name pause-ms before after
  split_set "$@"
  one_utterance_set "$@"
  for set in pauses pauses-split; do
    printf '%s\t%s | %s\n' "$1" "$3" "$4" >> "$root/$set/transcripts.tsv.new"
  done
}
mkdir -p "$root/pauses" "$root/pauses-split"
rm -f "$root"/pauses*/transcripts.tsv.new
say p300 300 'אני רוצה לבדוק את' 'ההזמנה שלי.'
say p350 350 'הזמנתי מכם מקרר' 'לפני שבועיים.'
say p400 400 'מה שעות הפתיחה של' 'הסניף בחיפה?'
say p450 450 'אני גר ברחוב הרצל' 'עשרים ושתיים בתל אביב.'
say p500 500 'אני צריך עזרה עם' 'החשבון שלי.'
say p550 550 'אני רוצה לבטל את המנוי' 'כי אני עובר דירה.'
say p600 600 'אפשר לדבר עם' 'נציג בבקשה?'
say p650 650 'קוראים לי דנה ואני רוצה' 'לשנות את הכתובת.'
say p700 700 'ההזמנה הגיעה אבל' 'חסר בה מטען.'
say p750 750 'המשלוח היה אמור להגיע ביום שני' 'ועדיין לא הגיע.'
say p800 800 'תוכלו לשלוח לי את' 'החשבונית במייל?'
say p850 850 'אני מתקשר בקשר' 'להזמנה מאתמול.'
say p900 900 'התשלום ירד מהכרטיס' 'פעמיים החודש.'
for set in pauses pauses-split; do
  mv "$root/$set/transcripts.tsv.new" "$root/$set/transcripts.tsv"
done
