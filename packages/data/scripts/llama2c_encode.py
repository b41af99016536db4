"""Reference ids for the tok512 tests: a direct transcription of llama2.c's encode() loop.

Run: /usr/bin/python3 packages/data/scripts/llama2c_encode.py data/stories260K/tok512.bin "Once upon a time"
     /usr/bin/python3 packages/data/scripts/llama2c_encode.py --fixture packages/data/test/fixtures/llama2c-ids.json data/stories260K/tok512.bin data
Prints the ids with bos (as llama2.c's run.c encodes a prompt) and without.
With --fixture OUT, encodes a fixed list of texts (test strings and the first lines of shipped
data files) and writes {text: ids-with-bos} as JSON for test/fixtures/llama2c-ids.json.
The merge loop rescans every adjacent pair after each merge, as the C code does, and keeps the
first pair on equal scores (strict >), so it shares no shortcut with the TypeScript heap version.
"""
import struct
import sys


def load(path):
    data = open(path, 'rb').read()
    offset = 4
    pieces, scores = [], []
    while offset < len(data):
        score, length = struct.unpack_from('<fi', data, offset)
        offset += 8
        pieces.append(data[offset:offset + length])
        scores.append(score)
        offset += length
    lookup = {}
    for i, p in enumerate(pieces):
        lookup.setdefault(p, i)
    return pieces, scores, lookup


def encode(text, pieces, scores, lookup, bos):
    raw = text.encode('utf-8')
    tokens = [1] if bos else []
    if raw:
        tokens.append(lookup[b' '])
    buf = b''
    for i, byte in enumerate(raw):
        if byte & 0xC0 != 0x80:
            buf = b''
        buf += bytes([byte])
        nxt = raw[i + 1] if i + 1 < len(raw) else 0
        if nxt & 0xC0 == 0x80 and len(buf) < 4:
            continue
        if buf in lookup:
            tokens.append(lookup[buf])
        else:
            tokens.extend(b + 3 for b in buf)
        buf = b''
    while True:
        best_score, best_id, best_idx = -1e10, -1, -1
        for i in range(len(tokens) - 1):
            merged = pieces[tokens[i]] + pieces[tokens[i + 1]]
            j = lookup.get(merged, -1)
            if j != -1 and scores[j] > best_score:
                best_score, best_id, best_idx = scores[j], j, i
        if best_idx == -1:
            break
        tokens[best_idx:best_idx + 2] = [best_id]
    return tokens


def fixture_texts(data_dir):
    import gzip
    texts = ['Once upon a time', 'naïve ∀x 🙂', 'a', ' ', '  two  spaces  ', 'Tab\there\nnewline', '日本語', 'Ünïcödé façade']
    # Runs of one letter whose pair merges tie on score: llama2.c merges the leftmost pair first.
    texts += ['oooo', 'llll', 'The dog said woooo and the bell went llll.']
    shakespeare = gzip.open(f'{data_dir}/tinyshakespeare/input.txt.gz', 'rt', encoding='utf-8').read()
    texts += [shakespeare[:400], shakespeare[5000:5600]]
    for line in open(f'{data_dir}/sentiment-labelled-sentences/yelp_labelled.txt', encoding='utf-8').readlines()[:6]:
        texts.append(line.split('\t')[0])
    return texts


if __name__ == '__main__':
    if sys.argv[1] == '--fixture':
        import json
        out, tok, data_dir = sys.argv[2], sys.argv[3], sys.argv[4]
        pieces, scores, lookup = load(tok)
        cases = [{'text': t, 'ids': encode(t, pieces, scores, lookup, True)} for t in fixture_texts(data_dir)]
        with open(out, 'w', encoding='utf-8') as f:
            f.write('[\n' + ',\n'.join(json.dumps(c, ensure_ascii=False) for c in cases) + '\n]\n')
        sys.exit(0)
    pieces, scores, lookup = load(sys.argv[1])
    for text in sys.argv[2:]:
        print(repr(text), 'bos:', encode(text, pieces, scores, lookup, True))
        print(repr(text), 'no bos:', encode(text, pieces, scores, lookup, False))
