import { describe, expect, it } from 'vitest';
import { alarmSeverity, severityLabel, severityOf } from '../../lib/incident/severity';

describe('severityLabel', () => {
  it.each([
    [0, 'Informational'],
    [0.99, 'Informational'],
    [1, 'Low'],
    [2, 'Low'],
    [3.9, 'Low'],
    [3.95, 'Low'],
    [4, 'Medium'],
    [5, 'Medium'],
    [6.9, 'Medium'],
    [6.99, 'Medium'],
    [7, 'High'],
    [8, 'High'],
    [8.9, 'High'],
    [8.95, 'High'],
    [9, 'Critical'],
    [9.5, 'Critical'],
    [10, 'Critical'],
  ] as const)('labels %s as %s, by comparison with the band edges rather than by listed values', (score, label) => {
    expect(severityLabel(score)).toBe(label);
  });

  it('labels negative scores Informational', () => {
    expect(severityLabel(-1)).toBe('Informational');
  });

  it('refuses NaN instead of labelling it', () => {
    expect(() => severityLabel(Number.NaN)).toThrow(RangeError);
  });
});

describe('severityOf', () => {
  it('pairs the score with its label', () => {
    expect(severityOf(7.2)).toEqual({ score: 7.2, label: 'High' });
  });
});

describe('alarmSeverity', () => {
  it('scores ALARM as Medium 5.0', () => {
    expect(alarmSeverity('ALARM')).toEqual({ score: 5, label: 'Medium' });
  });

  it('scores OK and INSUFFICIENT_DATA as Informational 0', () => {
    expect(alarmSeverity('OK')).toEqual({ score: 0, label: 'Informational' });
    expect(alarmSeverity('INSUFFICIENT_DATA')).toEqual({ score: 0, label: 'Informational' });
  });
});
