#!/usr/bin/env bash
# Regenerates the committed test audio: Hebrew sentences spoken by espeak-ng (robotic but
# deterministic speech-like audio), as 8 kHz mono 16-bit WAV. Needs espeak-ng and sox (Debian).
set -euo pipefail
out="$(dirname "$0")/../agent/test/fixtures/audio"
mkdir -p "$out"
say() { # name text
  espeak-ng -v he -s 150 -w "$out/$1.22k.wav" "$2"
  sox "$out/$1.22k.wav" -r 8000 -c 1 -b 16 "$out/$1.wav"
  rm "$out/$1.22k.wav"
  printf '%s\t%s\n' "$1" "$2" >> "$out/transcripts.tsv.new"
}
rm -f "$out/transcripts.tsv.new"
say hello 'שלום, אני רוצה לבדוק את ההזמנה שלי.'
say question 'מה שעות הפתיחה שלכם ביום שישי?'
say address 'אני גר ברחוב הרצל עשרים ושתיים בתל אביב.'
say thanks 'תודה רבה, להתראות.'
say short 'כן.'
say long 'שלום, קוראים לי דנה, הזמנתי מכם מקרר לפני שבועיים והוא עדיין לא הגיע, ואני רוצה לדעת מתי הוא יגיע ומה מספר המשלוח.'
mv "$out/transcripts.tsv.new" "$out/transcripts.tsv"
