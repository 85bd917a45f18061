ALTER TABLE `applications` ADD `can_introspect` integer DEFAULT false NOT NULL;
