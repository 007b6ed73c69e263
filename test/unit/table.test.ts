import { describe, expect, it } from '@jest/globals';
import { displayWidth, renderTable } from '../../src/cli/render/table.js';

// The text cli-table3 drew for these (borderless chars, padding-right 2, head bold when asked),
// which render/table.ts replaced: the same bytes.
describe('renderTable', () => {
  it('pads each column to its widest cell plus two spaces and trims the line ends', () => {
    expect(renderTable(['A', 'BB'], [['x', 'yyyy'], ['\u001b[32mhealthy\u001b[39m', '']])).toBe('A        BB\nx        yyyy\n\u001b[32mhealthy\u001b[39m');
  });

  it('bolds each head cell with its padding, as cli-table3 did', () => {
    expect(renderTable(['A', 'BB'], [['x', 'yyyy']], { bold: true })).toBe('\u001b[1mA  \u001b[22m\u001b[1mBB    \u001b[22m\nx  yyyy');
  });

  it('a head alone when there are no rows; a newline in a cell starts a line of its row', () => {
    expect(renderTable(['A', 'BB'], [])).toBe('A  BB');
    expect(renderTable(['A', 'BB'], [['a\nb', 'c']])).toBe('A  BB\na  c\nb');
  });

  it('counts wide characters and emoji as two columns, colours as none', () => {
    expect(renderTable(['A', 'BB'], [['日本', 'c🙂d']])).toBe('A     BB\n日本  c🙂d');
    expect(displayWidth('\u001b[31mé…\u001b[39m')).toBe(2);
    expect(displayWidth('e\u0301')).toBe(1);
  });
});
