import { sql } from "kysely";
import type { BusMessageStore, StoredBusMessage } from "../../port.js";
import type { StoreContext } from "./db-schema.js";
import { chunk } from "./sql-values.js";

export function createKyselyBusMessageStore({ db }: StoreContext): BusMessageStore {
  return {
    async saveMessage(message: StoredBusMessage): Promise<void> {
      await db
        .insertInto("bus_messages")
        .values({ id: message.id, topic: message.topic, payload: message.payload, published_at: message.publishedAt })
        .onConflict((oc) => oc.column("id").doNothing())
        .execute();
    },

    async saveGroup(topic: string, group: string, at: number): Promise<void> {
      await db
        .insertInto("bus_groups")
        .values({ topic, group_name: group, created_at: at })
        .onConflict((oc) => oc.columns(["topic", "group_name"]).doNothing())
        .execute();
    },

    async saveAcks(topic: string, group: string, ids: readonly string[]): Promise<void> {
      // INSERT … SELECT from the retained messages: an ack for a message already deleted (every
      // group acked it) or never stored is dropped instead of lingering forever.
      for (const part of chunk(ids)) {
        await db
          .insertInto("bus_acks")
          .columns(["message_id", "group_name"])
          .expression(
            db
              .selectFrom("bus_messages")
              .select(["id", sql<string>`cast(${group} as text)`.as("group_name")])
              .where("topic", "=", topic)
              .where("id", "in", part),
          )
          .onConflict((oc) => oc.columns(["message_id", "group_name"]).doNothing())
          .execute();
      }
    },

    async deleteMessages(ids: readonly string[]): Promise<void> {
      if (ids.length === 0) return;
      await db.transaction().execute(async (trx) => {
        for (const part of chunk(ids)) {
          await trx.deleteFrom("bus_acks").where("message_id", "in", part).execute();
          await trx.deleteFrom("bus_messages").where("id", "in", part).execute();
        }
      });
    },

    async loadAll() {
      const messages = await db.selectFrom("bus_messages").selectAll().orderBy("seq").execute();
      const groups = await db.selectFrom("bus_groups").select(["topic", "group_name"]).orderBy("created_at").execute();
      const acks = await db.selectFrom("bus_acks").select(["group_name", "message_id"]).execute();
      return {
        messages: messages.map((m) => ({ id: m.id, topic: m.topic, payload: m.payload, publishedAt: m.published_at })),
        groups: groups.map((g) => ({ topic: g.topic, group: g.group_name })),
        acks: acks.map((a) => ({ group: a.group_name, messageId: a.message_id })),
      };
    },
  };
}
