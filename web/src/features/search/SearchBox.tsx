import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { api } from '../../api/client';
import type { Output } from '../../api/client';

type Suggestion = Output<'GET /search/suggest'>['suggestions'][number];

/** Waits this long after the last keystroke before asking for suggestions. */
const debounceMs = 150;
const kindLabel: Record<Suggestion['kind'], string> = { event: 'Event', performer: 'Artist', venue: 'Venue', city: 'City' };

interface SearchBoxProps {
  value: string;
  onChange: (value: string) => void;
  /** A suggestion chosen (click, or Enter on the highlighted one). */
  onPick: (suggestion: Suggestion) => void;
}

/**
 * The search field with suggestions as you type, as an ARIA combobox: arrows move through the
 * list, Enter picks, Escape closes, and a live region says how many there are. Requests are
 * debounced, and each new one aborts the one before, so a slow stale answer never shows.
 */
export function SearchBox({ value, onChange, onPick }: SearchBoxProps) {
  const listId = useId();
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const typed = useRef(false);

  useEffect(() => {
    const words = value.trim();
    if (!typed.current || !words) {
      setSuggestions([]);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api.search.suggest(words, controller.signal).then((answer) => {
        setSuggestions(answer.suggestions);
        setActive(-1);
        setOpen(true);
      }, () => undefined);
    }, debounceMs);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [value]);

  const pick = (suggestion: Suggestion) => {
    setOpen(false);
    typed.current = false;
    onPick(suggestion);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    const shown = open && suggestions.length > 0;
    if (e.key === 'ArrowDown' && suggestions.length > 0) {
      e.preventDefault();
      setOpen(true);
      setActive((i) => (i + 1) % suggestions.length);
    } else if (e.key === 'ArrowUp' && shown) {
      e.preventDefault();
      setActive((i) => (i <= 0 ? suggestions.length - 1 : i - 1));
    } else if (e.key === 'Enter' && shown && active >= 0) {
      e.preventDefault();
      pick(suggestions[active]!);
    } else if (e.key === 'Escape' && shown) {
      e.preventDefault();
      setOpen(false);
    }
  };

  const expanded = open && suggestions.length > 0;
  return (
    <div className="suggest">
      <input
        type="search"
        role="combobox"
        aria-label="Search events"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-activedescendant={expanded && active >= 0 ? `${listId}-${active}` : undefined}
        placeholder="Artist, event, venue or city"
        autoComplete="off"
        value={value}
        onChange={(e) => {
          typed.current = true;
          onChange(e.target.value);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setOpen(false)}
      />
      <ul id={listId} role="listbox" aria-label="Suggestions" className="suggest-list" hidden={!expanded}>
        {suggestions.map((s, i) => (
          <li
            key={`${s.kind}-${s.text}-${s.eventId ?? ''}`}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={i === active}
            className={i === active ? 'active' : undefined}
            // mousedown, not click: it comes before the input's blur closes the list.
            onMouseDown={(e) => {
              e.preventDefault();
              pick(s);
            }}
          >
            <span>{s.text}</span> <small className="suggest-kind">{kindLabel[s.kind]}</small>
          </li>
        ))}
      </ul>
      <p className="visually-hidden" aria-live="polite">{expanded ? `${suggestions.length} suggestions` : ''}</p>
    </div>
  );
}
