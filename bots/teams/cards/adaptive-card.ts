/**
 * Adaptive Cards 1.5, typed: only the elements Keywarden's cards use. Teams renders 1.5 and
 * supports Universal Actions (Action.Execute); clients that do not fall back to Action.Submit.
 */
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export type Spacing = 'none' | 'small' | 'default' | 'medium' | 'large' | 'extraLarge';
export type TextColor = 'default' | 'dark' | 'light' | 'accent' | 'good' | 'warning' | 'attention';

export interface TextBlock {
  type: 'TextBlock';
  text: string;
  wrap?: boolean;
  weight?: 'default' | 'lighter' | 'bolder';
  size?: 'default' | 'small' | 'medium' | 'large' | 'extraLarge';
  color?: TextColor;
  isSubtle?: boolean;
  fontType?: 'default' | 'monospace';
  spacing?: Spacing;
  separator?: boolean;
}

export interface FactSet {
  type: 'FactSet';
  facts: { title: string; value: string }[];
  spacing?: Spacing;
  separator?: boolean;
}

export interface Container {
  type: 'Container';
  items: CardElement[];
  style?: 'default' | 'emphasis' | 'good' | 'attention' | 'warning' | 'accent';
  spacing?: Spacing;
  separator?: boolean;
}

export interface InputText {
  type: 'Input.Text';
  id: string;
  label?: string;
  placeholder?: string;
  value?: string;
  maxLength?: number;
  isMultiline?: boolean;
  isRequired?: boolean;
  regex?: string;
  errorMessage?: string;
}

export interface InputChoiceSet {
  type: 'Input.ChoiceSet';
  id: string;
  label?: string;
  choices: { title: string; value: string }[];
  value?: string;
  style?: 'compact' | 'expanded' | 'filtered';
  isMultiSelect?: boolean;
  isRequired?: boolean;
}

export type CardElement = TextBlock | FactSet | Container | InputText | InputChoiceSet;

/** What every Keywarden button carries, whichever action type delivers it. */
export interface ActionData {
  verb: string;
  [field: string]: string;
}

export interface SubmitAction {
  type: 'Action.Submit';
  title: string;
  data: ActionData;
  style?: 'default' | 'positive' | 'destructive';
}

export interface ExecuteAction {
  type: 'Action.Execute';
  title: string;
  verb: string;
  data: ActionData;
  style?: 'default' | 'positive' | 'destructive';
  /** Clients without Universal Actions render this instead. */
  fallback: SubmitAction;
}

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  version: '1.5';
  body: CardElement[];
  actions?: ExecuteAction[];
  msteams?: { width: 'Full' };
}

export function adaptiveCard(body: CardElement[], actions: ExecuteAction[] = []): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
    ...(actions.length > 0 ? { actions } : {}),
    msteams: { width: 'Full' },
  };
}

/**
 * A button: Action.Execute (an `adaptiveCard/action` invoke the bot answers with an updated card)
 * with an Action.Submit fallback (a message activity whose `value` is the same data). The verb
 * travels inside the data too, so both arrive at the same handler.
 */
export function button(title: string, verb: string, data: Record<string, string> = {}, style?: 'positive' | 'destructive'): ExecuteAction {
  const payload: ActionData = { ...data, verb };
  return {
    type: 'Action.Execute',
    title,
    verb,
    data: payload,
    ...(style ? { style } : {}),
    fallback: { type: 'Action.Submit', title, data: payload, ...(style ? { style } : {}) },
  };
}

export function text(value: string, options: Omit<TextBlock, 'type' | 'text'> = {}): TextBlock {
  return { type: 'TextBlock', text: value, wrap: true, ...options };
}

export function heading(value: string): TextBlock {
  return text(value, { weight: 'bolder', size: 'medium' });
}

export function facts(entries: [title: string, value: string | null | undefined][]): FactSet {
  return { type: 'FactSet', facts: entries.filter((e): e is [string, string] => Boolean(e[1])).map(([title, value]) => ({ title, value })) };
}

/**
 * User-controlled text (key names, search terms) shown in a card: markdown links are broken up so
 * a key named "[docs](https://evil.example)" renders as text, not as a link.
 */
export function plain(value: string): string {
  return value.replace(/\]\(/g, ']\u200b(');
}
