#!/usr/bin/env bash
# Regenerates the pause set (agent/test/fixtures/audio/pauses): Hebrew utterances with one
# mid-sentence pause of 300-900 ms, spoken by espeak-ng as 8 kHz mono 16-bit WAV. In
# transcripts.tsv ' | ' marks the pause, which the Speech emulator uses to reveal (and, on the
# Google-like profile, to finalize) the words spoken before it. About half the pauses follow a
# word that needs a continuation (את, של, עם, אבל), half follow words that could end a sentence.
# Needs espeak-ng and sox (Debian).
set -euo pipefail
out="$(dirname "$0")/../agent/test/fixtures/audio/pauses"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
say() { # name pause-ms before after
  espeak-ng -v he -s 150 -w "$tmp/a.wav" "$3"
  espeak-ng -v he -s 150 -w "$tmp/b.wav" "$4"
  sox "$tmp/a.wav" -r 8000 -c 1 -b 16 "$tmp/a8.wav"
  sox "$tmp/b.wav" -r 8000 -c 1 -b 16 "$tmp/b8.wav"
  # espeak-ng pads each clip with silence: trim it so the pause is what is asked for.
  sox "$tmp/a8.wav" "$tmp/a8t.wav" reverse silence 1 0.01 0.5% reverse
  sox "$tmp/b8.wav" "$tmp/b8t.wav" silence 1 0.01 0.5%
  sox -n -r 8000 -c 1 -b 16 "$tmp/gap.wav" trim 0 "$(printf '0.%03d' "$2")"
  sox "$tmp/a8t.wav" "$tmp/gap.wav" "$tmp/b8t.wav" "$out/$1.wav"
  printf '%s\t%s | %s\n' "$1" "$3" "$4" >> "$out/transcripts.tsv.new"
}
rm -f "$out/transcripts.tsv.new"
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
mv "$out/transcripts.tsv.new" "$out/transcripts.tsv"
