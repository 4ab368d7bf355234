-- An organizer's pause of the waiting room (issue 12): while set, the advancer admits nobody; places,
-- the draw and admissions already made are kept, and waiting buyers are told the line is paused.
alter table event_onsale add column queue_paused boolean not null default false;
