import { unzlibSync } from 'fflate'

/** WinAnsi's 0x80–0x9F, where it differs from Latin-1 (the PDF spec's Annex D). */
const WIN_ANSI_HIGH: Record<number, string> = {
  128: '€',
  130: '‚',
  131: 'ƒ',
  132: '„',
  133: '…',
  134: '†',
  135: '‡',
  136: 'ˆ',
  137: '‰',
  138: 'Š',
  139: '‹',
  140: 'Œ',
  142: 'Ž',
  145: '‘',
  146: '’',
  147: '“',
  148: '”',
  149: '•',
  150: '–',
  151: '—',
  152: '˜',
  153: '™',
  154: 'š',
  155: '›',
  156: 'œ',
  158: 'ž',
  159: 'Ÿ',
}

const latin1 = new TextDecoder('latin1')

/**
 * The text a PDF written by pdf-lib shows with its standard fonts, one string per text-showing
 * operator, in page order: every Flate stream is inflated and its `<hex> Tj` operands decoded
 * from WinAnsi. A small decoder for our own files (pdf-lib cannot read text back); it does not
 * handle other producers' encodings.
 */
export function pdfText(bytes: Uint8Array): string[] {
  const raw = latin1.decode(bytes)
  const out: string[] = []
  const streams = /stream\r?\n/g
  for (let match = streams.exec(raw); match; match = streams.exec(raw)) {
    const start = match.index + match[0].length
    const end = raw.indexOf('endstream', start)
    if (end < 0) break
    let content: string
    try {
      content = latin1.decode(unzlibSync(bytes.subarray(start, end)))
    } catch {
      content = raw.slice(start, end)
    }
    for (const operand of content.matchAll(/<([0-9A-Fa-f]*)>\s*Tj/g)) {
      const hex = operand[1] ?? ''
      let text = ''
      for (let i = 0; i < hex.length; i += 2) {
        const code = Number.parseInt(hex.slice(i, i + 2), 16)
        text += WIN_ANSI_HIGH[code] ?? String.fromCharCode(code)
      }
      out.push(text)
    }
    streams.lastIndex = end + 'endstream'.length
  }
  return out
}
