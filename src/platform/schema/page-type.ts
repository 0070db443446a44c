/**
 * A GraphQL page of a list (items, total, limit, offset), made once per item type: the shape
 * every paged query answers with (platform/input/pages.ts checks what asks for it).
 */
import { Field, Int, ObjectType, type ClassType } from 'type-graphql';

export function pageTypeOf<T extends object>(item: ClassType<T>, name: string, description?: string) {
  @ObjectType(name, { description })
  class PageType {
    @Field(() => [item]) items!: T[];
    @Field(() => Int, { description: 'How many match, on every page.' }) total!: number;
    @Field(() => Int) limit!: number;
    @Field(() => Int) offset!: number;
  }
  return PageType;
}
