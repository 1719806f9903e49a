// Names, labels and file contents in a snapshot are data from strangers. Before any of it reaches
// a terminal, control characters (ESC sequences that could move the cursor, rewrite the title,
// hide text, or forge output) are replaced by visible escapes.

// C0 controls except TAB, DEL, and C1 controls (U+0080–U+009F, including the 8-bit CSI).
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

export function sanitize(text: string): string {
  return text.replace(CONTROL, (ch) => {
    const code = ch.charCodeAt(0);
    if (code === 0x0a) return '\\n';
    if (code === 0x0d) return '\\r';
    return `\\x${code.toString(16).padStart(2, '0')}`;
  });
}
