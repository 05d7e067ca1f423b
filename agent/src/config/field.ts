// A setting's description (env name, kind, default, bounds, docs, CR path) and the constructors the
// settings files use (settings-*.ts; assembled in schema.ts).

export type FieldKind = 'int' | 'number' | 'bool' | 'string' | 'enum';

interface FieldBase<T> {
  env: string;
  kind: FieldKind;
  default: T;
  doc: string;
  unit?: string;
  /** Masked in the boot log and rendered from a Secret by the operator. */
  secret?: boolean;
  /** Dotted path under VoiceAgent `.spec` that sets this field, if platform teams may set it. */
  cr?: string;
}
export interface IntField extends FieldBase<number> {
  kind: 'int';
  min: number;
  max: number;
}
export interface NumberField extends FieldBase<number> {
  kind: 'number';
  min: number;
  max: number;
}
export interface BoolField extends FieldBase<boolean> {
  kind: 'bool';
}
export interface StringField extends FieldBase<string> {
  kind: 'string';
  /** Anchored regular expression the value must match (empty string is allowed when default is ''). */
  pattern?: string;
  /** What the pattern allows, in words, for error messages (agent boot and CRD admission alike). */
  allowed?: string;
  /** Limit in characters (Unicode code points, as Kubernetes counts maxLength), not bytes. */
  maxLength?: number;
}
export interface EnumField<V extends string = string> extends FieldBase<V> {
  kind: 'enum';
  values: readonly V[];
}
export type Field = IntField | NumberField | BoolField | StringField | EnumField;

export const int = (f: Omit<IntField, 'kind'>): IntField => ({ kind: 'int', ...f });
export const num = (f: Omit<NumberField, 'kind'>): NumberField => ({ kind: 'number', ...f });
export const bool = (f: Omit<BoolField, 'kind'>): BoolField => ({ kind: 'bool', ...f });
export const str = (f: Omit<StringField, 'kind'>): StringField => ({ kind: 'string', ...f });
export const oneOf = <const V extends string>(f: Omit<EnumField<V>, 'kind'>): EnumField<V> => ({
  kind: 'enum',
  ...f,
});
