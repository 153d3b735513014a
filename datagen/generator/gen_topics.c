/*
 * gen_topics.c — the vocabulary: application domains (topics), their
 * entities (tables) with realistic attribute columns, and the activities that
 * make use cases out of them.
 *
 * Each topic lists its entities from the most independent (customers,
 * products) to the most dependent (order items, payments); a table may
 * reference any table listed before it.  An entity is written
 *     plural[/singular]:column kind,column kind,...
 * and entities are separated by ';'.  Kinds are two-letter codes (see
 * kind_codes below).  Key columns are not listed: the schema generator adds
 * the primary key and the foreign keys.  A use case is an entity with an
 * activity ("shipment tracking", "invoice approval workflow"), so every topic
 * has entities x activities distinct use cases.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_internal.h"

typedef struct GenTopicDef
{
	const char *name;
	const char *entities;
} GenTopicDef;

/* Two-letter kind codes of the entity notation, indexed by DatagenColKind. */
static const char kind_codes[DATAGEN_N_COL_KINDS][3] = {
	"id", "fn", "ln", "pn", "ti", "co", "em", "ph", "ad", "ci", "cn", "ur", "tx",
	"st", "ca", "mo", "ra", "qt", "nu", "yr", "sc", "ge", "bo", "da", "ts", "tm",
	"uu", "js", "du", "by"
};

/* Activities: each one with an entity is one use case. */
static const char *const activities[GEN_N_ACTIVITIES] = {
	"management", "tracking", "reporting", "history", "analytics", "auditing",
	"search", "data import", "archiving", "approval workflow", "notifications"
};

static const GenTopicDef topic_defs[] = {
	{"e-commerce",
		"customers:first_name fn,last_name ln,email em,phone ph,city ci,created_at ts;"
		"categories/category:name ti,description tx,slug co;"
		"products:name ti,sku co,price mo,stock_quantity qt,is_active bo,description tx;"
		"orders:order_date da,status st,total_amount mo,shipping_address ad;"
		"order_items:quantity qt,unit_price mo,discount ra;"
		"reviews:rating nu,comment tx,review_date da,is_verified bo;"
		"carts:created_at ts,updated_at ts,session_token uu;"
		"payments:amount mo,payment_method ca,paid_at ts,status st;"
		"shipments:carrier ti,tracking_number co,shipped_date da,delivered_date da;"
		"coupons:code co,discount_percent ra,valid_until da,max_uses nu;"
		"wishlists:name ti,is_public bo,created_at ts"},
	{"healthcare",
		"patients:first_name fn,last_name ln,date_of_birth da,gender ca,phone ph,email em;"
		"doctors:full_name pn,specialty ca,license_number co,phone ph,hire_date da;"
		"departments:name ti,floor nu,head_name pn;"
		"appointments:appointment_date da,start_time tm,reason tx,status st;"
		"diagnoses/diagnosis:icd_code co,description tx,diagnosed_on da,severity ca;"
		"prescriptions:medication_name ti,dosage co,frequency ca,start_date da,end_date da;"
		"lab_results:test_name ti,result_value sc,unit co,tested_at ts;"
		"admissions:admit_date da,discharge_date da,room_number co,ward ca;"
		"medical_bills:amount mo,issued_date da,due_date da,is_paid bo;"
		"insurance_claims:claim_number co,claim_amount mo,submitted_at ts,status st;"
		"vital_signs:heart_rate nu,temperature sc,blood_pressure co,recorded_at ts"},
	{"logistics",
		"warehouses:name ti,city ci,country cn,capacity nu,manager_name pn;"
		"carriers:name ti,contact_email em,phone ph,rating sc;"
		"drivers:first_name fn,last_name ln,license_number co,phone ph,hire_date da;"
		"vehicles:plate_number co,model ti,capacity_kg sc,year_built yr,is_available bo;"
		"shipments:tracking_number co,origin_city ci,destination_city ci,weight_kg sc,ship_date da,status st;"
		"packages:barcode co,weight_kg sc,length_cm nu,width_cm nu,height_cm nu;"
		"routes:route_name ti,distance_km sc,estimated_hours sc;"
		"deliveries:delivered_at ts,recipient_name pn,signature_required bo,status st;"
		"tracking_events:event_type ca,location ci,event_time ts,notes tx;"
		"freight_invoices:invoice_number co,amount mo,issued_date da,due_date da"},
	{"banking",
		"customers:first_name fn,last_name ln,email em,phone ph,date_of_birth da,address ad;"
		"branches:branch_name ti,city ci,address ad,opened_date da;"
		"accounts:account_number co,account_type ca,balance mo,opened_date da,is_active bo;"
		"transactions:amount mo,transaction_type ca,transaction_date ts,description tx;"
		"loans:principal mo,interest_rate ra,term_months nu,start_date da,status st;"
		"loan_payments:amount mo,payment_date da,principal_part mo,interest_part mo;"
		"cards:card_number co,card_type ca,expiry_date da,credit_limit mo,is_blocked bo;"
		"transfers:amount mo,transfer_date ts,reference co,status st;"
		"beneficiaries:full_name pn,bank_name ti,iban co,added_at ts;"
		"statements:period_start da,period_end da,opening_balance mo,closing_balance mo"},
	{"insurance",
		"policyholders:first_name fn,last_name ln,email em,phone ph,date_of_birth da;"
		"agents:full_name pn,email em,phone ph,commission_rate ra;"
		"policies:policy_number co,policy_type ca,premium mo,start_date da,end_date da,status st;"
		"coverages:coverage_type ca,coverage_limit mo,deductible mo;"
		"claims:claim_number co,claim_date da,amount_claimed mo,description tx,status st;"
		"claim_payments:amount mo,paid_date da,payment_method ca;"
		"vehicles:vin co,make ti,model ti,model_year yr;"
		"properties:address ad,city ci,property_value mo,year_built yr;"
		"premium_payments:amount mo,due_date da,paid_date da,is_late bo;"
		"adjusters:full_name pn,region ca,email em,years_experience nu"},
	{"education",
		"students:first_name fn,last_name ln,email em,enrollment_date da,date_of_birth da;"
		"teachers:first_name fn,last_name ln,email em,hire_date da,salary mo;"
		"departments:name ti,building ti,budget mo;"
		"courses:course_code co,title ti,credits nu,description tx;"
		"classrooms:room_number co,building ti,capacity nu,has_projector bo;"
		"sections:semester ca,section_year yr,max_students nu,schedule co;"
		"enrollments:enrolled_on da,grade co,status st;"
		"assignments:title ti,due_date da,max_points nu,description tx;"
		"submissions:submitted_at ts,score sc,feedback tx,is_late bo;"
		"attendance_records:class_date da,is_present bo,remarks tx;"
		"scholarships:name ti,amount mo,awarded_date da,criteria tx"},
	{"hotel management",
		"hotels:name ti,city ci,country cn,star_rating nu,phone ph;"
		"room_types:name ti,base_price mo,max_occupancy nu,description tx;"
		"rooms:room_number co,floor nu,is_available bo,status st;"
		"guests:first_name fn,last_name ln,email em,phone ph,nationality cn;"
		"reservations:check_in_date da,check_out_date da,num_guests nu,total_price mo,status st;"
		"staff/staff_member:first_name fn,last_name ln,job_title ca,hire_date da,hourly_rate mo;"
		"housekeeping_tasks:task_date da,task_type ca,is_completed bo,notes tx;"
		"services:name ti,price mo,category ca;"
		"service_orders:quantity qt,ordered_at ts,total mo;"
		"invoices:invoice_number co,amount mo,issued_at ts,is_paid bo;"
		"guest_reviews:rating nu,comment tx,review_date da"},
	{"restaurants",
		"restaurants:name ti,cuisine ca,city ci,phone ph,opening_time tm,closing_time tm;"
		"menu_categories/menu_category:name ti,display_order nu;"
		"menu_items:name ti,price mo,calories nu,is_vegetarian bo,description tx;"
		"tables/dining_table:table_number nu,seats nu,location ca;"
		"customers:first_name fn,last_name ln,phone ph,email em;"
		"reservations:reservation_date da,reservation_time tm,party_size nu,status st;"
		"orders:order_time ts,order_type ca,total_amount mo,status st;"
		"order_items:quantity qt,unit_price mo,special_request tx;"
		"employees:first_name fn,last_name ln,role_name ca,hourly_wage mo,hire_date da;"
		"shifts:shift_date da,start_time tm,end_time tm;"
		"ingredients:name ti,unit co,stock_level sc,reorder_level sc"},
	{"real estate",
		"agents:first_name fn,last_name ln,email em,phone ph,license_number co;"
		"agencies:name ti,city ci,phone ph,website ur;"
		"properties:address ad,city ci,property_type ca,bedrooms nu,bathrooms nu,square_feet nu,list_price mo;"
		"listings:listed_date da,asking_price mo,status st,description tx;"
		"clients:first_name fn,last_name ln,email em,phone ph,budget mo;"
		"viewings:viewing_date da,viewing_time tm,feedback tx;"
		"offers:offer_amount mo,offer_date da,status st,expires_on da;"
		"sales:sale_price mo,closing_date da,commission mo;"
		"leases:monthly_rent mo,start_date da,end_date da,deposit mo;"
		"inspections:inspection_date da,inspector_name pn,passed bo,notes tx"},
	{"human resources",
		"departments:name ti,location ci,budget mo;"
		"employees:first_name fn,last_name ln,email em,phone ph,hire_date da,salary mo;"
		"job_titles/job_title:title ti,min_salary mo,max_salary mo;"
		"positions/job_position:title ti,is_open bo,posted_date da;"
		"leave_requests:start_date da,end_date da,leave_type ca,status st,reason tx;"
		"performance_reviews:review_date da,rating nu,comments tx,reviewer_name pn;"
		"salaries/salary_record:amount mo,effective_date da,currency co;"
		"trainings/training:title ti,training_date da,duration_hours nu,provider ti;"
		"benefits/benefit:name ti,benefit_type ca,monthly_cost mo;"
		"timesheets:work_date da,hours_worked sc,overtime_hours sc,approved bo"},
	{"manufacturing",
		"plants:name ti,city ci,country cn,opened_date da;"
		"suppliers:name ti,contact_email em,phone ph,country cn,rating sc;"
		"materials:name ti,material_code co,unit co,unit_cost mo,stock_qty qt;"
		"products:name ti,product_code co,unit_price mo,weight_kg sc;"
		"machines:machine_name ti,model ti,install_date da,status st;"
		"production_orders:order_number co,quantity qt,start_date da,due_date da,status st;"
		"work_orders:description tx,priority ca,scheduled_date da,completed bo;"
		"quality_checks:checked_at ts,passed bo,defect_count nu,inspector_name pn;"
		"bill_of_materials/bom_line:quantity_required sc,scrap_rate ra;"
		"maintenance_logs:maintenance_date da,maintenance_type ca,cost mo,notes tx"},
	{"retail",
		"stores:store_name ti,city ci,address ad,phone ph,opened_date da;"
		"employees:first_name fn,last_name ln,position_title ca,hire_date da,hourly_rate mo;"
		"brands:name ti,country cn,website ur;"
		"products:name ti,barcode co,price mo,cost mo,category ca;"
		"inventory/inventory_record:quantity_on_hand qt,reorder_point nu,last_restocked da;"
		"customers:first_name fn,last_name ln,email em,phone ph,loyalty_points nu;"
		"sales/sale:sale_date ts,total_amount mo,payment_type ca;"
		"sale_items:quantity qt,unit_price mo,discount mo;"
		"promotions:name ti,discount_percent ra,start_date da,end_date da;"
		"returns/product_return:return_date da,reason tx,refund_amount mo,status st"},
	{"telecommunications",
		"customers:first_name fn,last_name ln,email em,phone ph,address ad;"
		"plans:plan_name ti,monthly_fee mo,data_limit_gb nu,minutes_included nu;"
		"subscriptions:start_date da,end_date da,status st,auto_renew bo;"
		"phone_numbers:msisdn co,activated_on da,is_ported bo;"
		"devices:imei co,model ti,manufacturer ti,purchase_date da;"
		"call_records:call_start ts,duration_seconds nu,destination co,cost mo;"
		"data_usage:usage_date da,megabytes_used sc,roaming bo;"
		"bills:billing_period co,amount_due mo,due_date da,is_paid bo;"
		"cell_towers:tower_code co,latitude ge,longitude ge,city ci;"
		"support_tickets:subject ti,description tx,opened_at ts,status st,priority ca"},
	{"airlines",
		"airports:iata_code co,name ti,city ci,country cn;"
		"aircraft/aircraft_unit:registration co,model ti,seat_capacity nu,year_built yr;"
		"flights:flight_number co,departure_time ts,arrival_time ts,status st;"
		"passengers:first_name fn,last_name ln,email em,passport_number co,nationality cn;"
		"bookings:booking_reference co,booking_date ts,total_price mo,status st;"
		"tickets:seat_number co,fare_class ca,price mo,is_checked_in bo;"
		"crew_members:first_name fn,last_name ln,crew_role ca,hire_date da;"
		"baggage/bag:tag_number co,weight_kg sc,is_oversized bo;"
		"loyalty_accounts:membership_number co,tier ca,miles_balance nu,joined_on da;"
		"flight_delays:delay_minutes nu,reason tx,reported_at ts"},
	{"car rental",
		"locations:name ti,city ci,address ad,phone ph;"
		"vehicle_classes/vehicle_class:name ti,daily_rate mo,seats nu;"
		"vehicles:plate_number co,make ti,model ti,model_year yr,mileage nu,status st;"
		"customers:first_name fn,last_name ln,email em,phone ph,license_number co;"
		"rentals:pickup_date ts,return_date ts,total_cost mo,status st;"
		"rental_extras/rental_extra:name ti,daily_price mo;"
		"damage_reports:reported_at ts,description tx,repair_cost mo;"
		"payments:amount mo,paid_at ts,payment_method ca;"
		"maintenance_records:service_date da,service_type ca,cost mo,odometer nu;"
		"insurance_options/insurance_option:name ti,daily_cost mo,deductible mo"},
	{"social media",
		"users/member:username co,email em,display_name pn,bio tx,joined_at ts;"
		"posts:content tx,created_at ts,like_count nu,is_pinned bo;"
		"comments:body tx,created_at ts,is_edited bo;"
		"likes/like_event:created_at ts,reaction_type ca;"
		"follows/follow:followed_at ts,notifications_on bo;"
		"groups/community:name ti,description tx,is_private bo,created_at ts;"
		"group_members:joined_at ts,member_role ca;"
		"messages:body tx,sent_at ts,is_read bo;"
		"hashtags:tag co,usage_count nu;"
		"reports/abuse_report:reason tx,reported_at ts,status st"},
	{"video streaming",
		"subscribers:email em,display_name pn,country cn,signup_date da;"
		"plans:name ti,monthly_price mo,max_screens nu,video_quality ca;"
		"genres:name ti,description tx;"
		"titles/title:name ti,release_year yr,duration_minutes nu,rating ca,description tx;"
		"episodes:season_number nu,episode_number nu,episode_title ti,runtime_minutes nu;"
		"profiles:profile_name ti,is_kids bo,language co;"
		"watch_history:watched_at ts,progress_seconds nu,completed bo;"
		"ratings/title_rating:stars nu,rated_at ts;"
		"payments:amount mo,paid_on da,payment_method ca,status st;"
		"devices:device_name ti,device_type ca,last_used_at ts"},
	{"music",
		"artists:name ti,country cn,formed_year yr,bio tx;"
		"labels:name ti,country cn,founded_year yr;"
		"albums:title ti,release_date da,total_tracks nu,album_type ca;"
		"tracks:title ti,duration_seconds nu,track_number nu,is_explicit bo;"
		"listeners:username co,email em,country cn,birth_year yr;"
		"playlists:name ti,description tx,is_public bo,created_at ts;"
		"playlist_tracks:added_at ts,sort_order nu;"
		"plays/play:played_at ts,seconds_played nu,source ca;"
		"concerts:venue_name ti,city ci,concert_date da,ticket_price mo;"
		"royalties/royalty:period_start da,amount mo,stream_count nu"},
	{"publishing",
		"authors:first_name fn,last_name ln,email em,country cn,birth_date da;"
		"publishers:name ti,city ci,website ur;"
		"books:title ti,isbn co,publication_date da,page_count nu,price mo;"
		"editions:edition_number nu,format ca,release_date da,print_run nu;"
		"editors:full_name pn,email em,specialty ca;"
		"manuscripts:title ti,submitted_on da,word_count nu,status st;"
		"contracts:signed_date da,advance_amount mo,royalty_rate ra;"
		"book_sales:sale_date da,units_sold qt,revenue mo,channel ca;"
		"translations/translation:target_language co,translator_name pn,completed_on da;"
		"book_reviews:reviewer_name pn,rating nu,review_text tx,published_on da"},
	{"news media",
		"journalists:first_name fn,last_name ln,email em,beat ca,hired_on da;"
		"sections:name ti,slug co,display_order nu;"
		"articles:headline ti,body tx,published_at ts,word_count nu,status st;"
		"tags/tag:name co,usage_count nu;"
		"article_tags/article_tag:tagged_at ts;"
		"readers:email em,display_name pn,subscribed bo,joined_at ts;"
		"reader_comments:body tx,posted_at ts,is_approved bo;"
		"page_views:viewed_at ts,seconds_on_page nu,referrer ur;"
		"corrections/correction:description tx,corrected_at ts;"
		"newsletters:subject ti,sent_at ts,recipient_count nu"},
	{"online gaming",
		"players:username co,email em,country cn,level nu,created_at ts;"
		"games:title ti,genre ca,release_date da,price mo;"
		"servers:region ca,hostname co,max_players nu,is_online bo;"
		"matches/game_match:started_at ts,ended_at ts,game_mode ca;"
		"match_results:score nu,kills nu,deaths nu,won bo;"
		"items/game_item:name ti,rarity ca,price mo,is_tradeable bo;"
		"inventories/inventory_slot:quantity qt,acquired_at ts;"
		"achievements:name ti,description tx,points nu;"
		"player_achievements:unlocked_at ts;"
		"purchases:amount mo,currency co,purchased_at ts,status st;"
		"leaderboards/leaderboard_entry:season nu,rank_position nu,rating sc"},
	{"sports league",
		"leagues:name ti,country cn,founded_year yr;"
		"teams:name ti,city ci,stadium ti,founded_year yr;"
		"players:first_name fn,last_name ln,birth_date da,jersey_number nu,nationality cn;"
		"coaches:first_name fn,last_name ln,experience_years nu,email em;"
		"seasons:name ti,start_date da,end_date da;"
		"games/fixture:game_date da,kickoff_time tm,home_score nu,away_score nu,status st;"
		"player_stats/player_stat:goals nu,assists nu,minutes_played nu,yellow_cards nu;"
		"injuries/injury:injury_type ca,injury_date da,expected_return da;"
		"transfers:transfer_date da,fee mo,contract_years nu;"
		"standings/standing:points nu,wins nu,losses nu,draws nu"},
	{"fitness",
		"members:first_name fn,last_name ln,email em,phone ph,join_date da,birth_date da;"
		"trainers:first_name fn,last_name ln,specialty ca,hourly_rate mo,certified bo;"
		"gyms:name ti,city ci,address ad,opening_time tm,closing_time tm;"
		"membership_plans:name ti,monthly_fee mo,duration_months nu,includes_classes bo;"
		"memberships:start_date da,end_date da,status st,auto_renew bo;"
		"classes/fitness_class:class_name ti,class_date da,start_time tm,capacity nu;"
		"class_bookings:booked_at ts,attended bo;"
		"workouts:workout_date da,duration_minutes nu,calories_burned nu,notes tx;"
		"exercises:name ti,muscle_group ca,equipment ti;"
		"body_measurements:measured_on da,weight_kg sc,body_fat_percent ra"},
	{"event management",
		"venues:name ti,city ci,address ad,capacity nu,contact_phone ph;"
		"organizers:name ti,email em,phone ph,website ur;"
		"events:title ti,event_date da,start_time tm,description tx,status st;"
		"ticket_types:name ti,price mo,quantity_available qt;"
		"attendees:first_name fn,last_name ln,email em,phone ph,company ti;"
		"registrations:registered_at ts,ticket_code co,checked_in bo;"
		"speakers:full_name pn,bio tx,email em,topic ti;"
		"sessions/event_session:title ti,session_date da,start_time tm,room co;"
		"sponsors:name ti,sponsorship_level ca,amount mo,website ur;"
		"event_feedback:rating nu,comments tx,submitted_at ts"},
	{"travel agency",
		"customers:first_name fn,last_name ln,email em,phone ph,passport_number co;"
		"destinations:name ti,country cn,description tx,best_season ca;"
		"tour_packages:name ti,duration_days nu,price mo,max_group_size nu;"
		"tour_guides:full_name pn,languages tx,phone ph,daily_rate mo;"
		"bookings:booking_date da,travel_date da,num_travelers nu,total_price mo,status st;"
		"hotels:name ti,city ci,star_rating nu,nightly_rate mo;"
		"flights:airline ti,flight_number co,departure_date da,fare mo;"
		"itineraries/itinerary:day_number nu,activity tx,location ci;"
		"payments:amount mo,paid_at ts,payment_method ca;"
		"travel_reviews:rating nu,review_text tx,reviewed_on da"},
	{"library",
		"members:first_name fn,last_name ln,email em,phone ph,membership_date da;"
		"authors:first_name fn,last_name ln,birth_year yr,nationality cn;"
		"publishers:name ti,city ci,country cn;"
		"books:title ti,isbn co,publication_year yr,genre ca,copies_available qt;"
		"branches:name ti,address ad,phone ph,opening_time tm;"
		"book_copies/book_copy:barcode co,shelf_location co,condition_note tx,is_available bo;"
		"loans:loan_date da,due_date da,return_date da,status st;"
		"holds/hold_request:requested_at ts,expires_on da,status st;"
		"fines:amount mo,issued_date da,is_paid bo;"
		"library_events:title ti,event_date da,capacity nu,description tx"},
	{"government services",
		"citizens:first_name fn,last_name ln,national_id co,date_of_birth da,address ad;"
		"agencies:name ti,city ci,phone ph,website ur;"
		"services/public_service:name ti,fee mo,processing_days nu;"
		"applications/application:submitted_on da,status st,reference_number co;"
		"permits:permit_number co,issue_date da,expiry_date da,permit_type ca;"
		"tax_returns/tax_return:tax_year yr,gross_income mo,tax_due mo,filed_on da;"
		"inspections:inspection_date da,result ca,notes tx;"
		"officials:full_name pn,title ti,email em,phone ph;"
		"complaints:subject ti,description tx,filed_at ts,status st;"
		"payments:amount mo,paid_on da,receipt_number co"},
	{"legal services",
		"clients:first_name fn,last_name ln,email em,phone ph,company ti;"
		"attorneys:first_name fn,last_name ln,bar_number co,hourly_rate mo,practice_area ca;"
		"cases/legal_case:case_number co,title ti,case_type ca,opened_on da,status st;"
		"courts:name ti,city ci,jurisdiction ca;"
		"hearings:hearing_date da,hearing_time tm,outcome tx;"
		"documents:title ti,document_type ca,filed_on da,file_url ur;"
		"time_entries:work_date da,hours sc,description tx,billable bo;"
		"invoices:invoice_number co,amount mo,issued_on da,due_on da,status st;"
		"retainers:amount mo,received_on da,balance mo;"
		"case_notes:note tx,created_at ts,is_private bo"},
	{"accounting",
		"companies:name ti,tax_number co,country cn,fiscal_year_start da;"
		"accounts/ledger_account:account_code co,name ti,account_type ca,is_active bo;"
		"journal_entries:entry_date da,description tx,reference co,posted bo;"
		"journal_lines:debit mo,credit mo,memo tx;"
		"vendors:name ti,email em,phone ph,payment_terms ca;"
		"bills:bill_number co,bill_date da,due_date da,amount mo,status st;"
		"customers:name ti,email em,phone ph,credit_limit mo;"
		"invoices:invoice_number co,invoice_date da,due_date da,total mo,status st;"
		"budgets:fiscal_year yr,amount mo,notes tx;"
		"tax_rates/tax_rate:name ti,rate ra,region ca"},
	{"payroll",
		"employees:first_name fn,last_name ln,email em,hire_date da,bank_account co;"
		"departments:name ti,cost_center co;"
		"pay_periods:start_date da,end_date da,pay_date da,is_closed bo;"
		"payslips:gross_pay mo,net_pay mo,tax_withheld mo,issued_on da;"
		"earnings/earning_line:earning_type ca,hours sc,amount mo;"
		"deductions/deduction:deduction_type ca,amount mo,is_pretax bo;"
		"tax_brackets/tax_bracket:lower_bound mo,upper_bound mo,rate ra;"
		"bonuses/bonus:amount mo,awarded_on da,reason tx;"
		"time_cards:work_date da,hours_worked sc,overtime sc;"
		"direct_deposits:amount mo,deposited_on da,status st"},
	{"sales crm",
		"accounts/client_account:name ti,industry ca,website ur,annual_revenue mo;"
		"contacts:first_name fn,last_name ln,email em,phone ph,job_title ca;"
		"sales_reps:first_name fn,last_name ln,email em,quota mo,region ca;"
		"leads:source ca,status st,created_at ts,estimated_value mo;"
		"opportunities/opportunity:name ti,stage ca,amount mo,close_date da,probability ra;"
		"activities/sales_activity:activity_type ca,subject ti,due_date da,completed bo;"
		"quotes:quote_number co,total mo,valid_until da,status st;"
		"quote_lines:quantity qt,unit_price mo,discount ra;"
		"products:name ti,list_price mo,product_family ca;"
		"notes/crm_note:body tx,created_at ts"},
	{"digital marketing",
		"campaigns:name ti,channel ca,start_date da,end_date da,budget mo,status st;"
		"audiences/audience:name ti,size_estimate nu,description tx;"
		"ad_groups/ad_group:name ti,daily_budget mo,bid_strategy ca;"
		"ads/ad:headline ti,body_text tx,landing_url ur,is_active bo;"
		"impressions/impression:shown_at ts,device_type ca,cost mo;"
		"clicks/click:clicked_at ts,ip_address co,cost mo;"
		"conversions/conversion:converted_at ts,revenue mo,conversion_type ca;"
		"email_campaigns:subject ti,sent_at ts,recipients nu,open_rate ra;"
		"subscribers:email em,first_name fn,subscribed_at ts,is_active bo;"
		"landing_pages:url ur,title ti,published_on da,visits nu"},
	{"project management",
		"projects:name ti,description tx,start_date da,due_date da,budget mo,status st;"
		"team_members:first_name fn,last_name ln,email em,member_role ca;"
		"milestones:title ti,due_date da,is_reached bo;"
		"tasks:title ti,description tx,priority ca,due_date da,status st,estimated_hours sc;"
		"task_comments:body tx,created_at ts;"
		"time_logs:log_date da,hours sc,note tx;"
		"project_risks:title ti,likelihood ca,impact ca,mitigation tx;"
		"attachments:file_name ti,file_size_kb nu,uploaded_at ts;"
		"sprints:name ti,start_date da,end_date da,goal tx;"
		"expenses/project_expense:amount mo,spent_on da,category ca,description tx"},
	{"issue tracking",
		"repositories/repository:name ti,url ur,is_private bo,created_at ts;"
		"developers:username co,email em,full_name pn,joined_on da;"
		"issues/issue:title ti,body tx,priority ca,status st,created_at ts;"
		"labels/label:name co,color co;"
		"issue_comments:body tx,created_at ts,is_edited bo;"
		"pull_requests:title ti,status st,opened_at ts,merged_at ts,lines_changed nu;"
		"commits:sha co,message tx,committed_at ts,additions nu;"
		"releases:version co,release_date da,notes tx,is_prerelease bo;"
		"builds:build_number nu,started_at ts,duration_seconds nu,status st;"
		"code_reviews:review_state ca,submitted_at ts,comment_count nu"},
	{"it helpdesk",
		"employees:first_name fn,last_name ln,email em,department ca,phone ph;"
		"technicians:first_name fn,last_name ln,email em,skill_level ca;"
		"assets/it_asset:asset_tag co,asset_type ca,model ti,purchase_date da,warranty_until da;"
		"tickets:subject ti,description tx,priority ca,status st,opened_at ts,closed_at ts;"
		"ticket_updates:note tx,updated_at ts,is_internal bo;"
		"software_licenses:product_name ti,license_key co,seats nu,expires_on da;"
		"sla_policies/sla_policy:name ti,response_hours nu,resolution_hours nu;"
		"knowledge_articles:title ti,body tx,views nu,published_at ts;"
		"change_requests:title ti,risk_level ca,scheduled_for ts,status st;"
		"asset_assignments:assigned_on da,returned_on da,condition_note tx"},
	{"cloud hosting",
		"customers:company_name ti,email em,country cn,created_at ts;"
		"regions/region:name co,display_name ti,is_available bo;"
		"servers/server:hostname co,ip_address co,cpu_cores nu,memory_gb nu,status st;"
		"volumes/volume:size_gb nu,volume_type ca,is_encrypted bo,created_at ts;"
		"databases/managed_database:engine ca,engine_version co,storage_gb nu,status st;"
		"invoices:period_start da,period_end da,amount mo,is_paid bo;"
		"usage_records:metric ca,quantity sc,recorded_at ts;"
		"api_keys:key_prefix co,created_at ts,last_used_at ts,is_revoked bo;"
		"backups:created_at ts,size_gb sc,retention_days nu;"
		"incidents:title ti,severity ca,started_at ts,resolved_at ts,summary tx"},
	{"cybersecurity",
		"organizations:name ti,industry ca,country cn;"
		"hosts/host:hostname co,ip_address co,os_name ti,last_seen ts;"
		"vulnerabilities/vulnerability:cve_id co,title ti,cvss_score sc,published_on da;"
		"scans/scan:started_at ts,finished_at ts,scan_type ca,status st;"
		"findings/finding:severity ca,status st,detected_at ts,details tx;"
		"alerts/alert:rule_name ti,severity ca,raised_at ts,is_acknowledged bo;"
		"analysts:full_name pn,email em,tier ca;"
		"security_incidents:title ti,category ca,opened_at ts,closed_at ts,status st;"
		"firewall_rules:rule_name ti,port nu,protocol co,action_taken ca;"
		"login_attempts:attempted_at ts,ip_address co,succeeded bo"},
	{"energy utilities",
		"customers:first_name fn,last_name ln,email em,phone ph,service_address ad;"
		"meters:meter_number co,meter_type ca,installed_on da,is_smart bo;"
		"tariffs/tariff:name ti,rate_per_kwh ra,standing_charge mo;"
		"meter_readings:reading_date da,kwh_used sc,is_estimated bo;"
		"bills:billing_month co,amount mo,due_date da,is_paid bo;"
		"outages/outage:started_at ts,restored_at ts,cause tx,affected_customers nu;"
		"power_plants:name ti,plant_type ca,capacity_mw sc,city ci;"
		"generation_logs:log_date da,mwh_generated sc,efficiency ra;"
		"service_requests:request_type ca,requested_at ts,status st,notes tx;"
		"payments:amount mo,paid_on da,payment_method ca"},
	{"agriculture",
		"farms:name ti,region ca,area_hectares sc,owner_name pn;"
		"fields/farm_field:field_name ti,area_hectares sc,soil_type ca;"
		"crops/crop:name ti,variety ti,growing_days nu;"
		"plantings/planting:planted_on da,expected_harvest da,seed_kg sc;"
		"harvests/harvest:harvest_date da,yield_kg sc,quality_grade ca;"
		"livestock/animal:tag_number co,species ca,breed ti,birth_date da,weight_kg sc;"
		"equipment/farm_machine:name ti,model ti,purchase_date da,is_operational bo;"
		"workers:first_name fn,last_name ln,phone ph,daily_wage mo;"
		"fertilizer_applications:applied_on da,product_name ti,amount_kg sc;"
		"weather_readings:reading_time ts,temperature_c sc,rainfall_mm sc"},
	{"veterinary clinic",
		"owners:first_name fn,last_name ln,email em,phone ph,address ad;"
		"pets:name ti,species ca,breed ti,birth_date da,weight_kg sc;"
		"veterinarians:first_name fn,last_name ln,specialty ca,license_number co;"
		"appointments:appointment_date da,appointment_time tm,reason tx,status st;"
		"vaccinations:vaccine_name ti,administered_on da,next_due da;"
		"treatments:treatment_name ti,treatment_date da,cost mo,notes tx;"
		"medications:name ti,dosage co,unit_price mo;"
		"invoices:invoice_number co,total mo,issued_on da,is_paid bo;"
		"boarding_stays:check_in da,check_out da,kennel_number co,daily_rate mo;"
		"lab_tests:test_name ti,result tx,tested_on da"},
	{"pharmacy",
		"patients:first_name fn,last_name ln,date_of_birth da,phone ph,email em;"
		"prescribers:full_name pn,npi_number co,clinic_name ti,phone ph;"
		"drugs/drug:name ti,ndc_code co,strength co,form ca,unit_price mo;"
		"prescriptions:prescribed_on da,quantity qt,refills_allowed nu,instructions tx;"
		"fills/fill:filled_on da,quantity_dispensed qt,copay mo;"
		"stock_items:lot_number co,expiry_date da,quantity_on_hand qt;"
		"suppliers:name ti,contact_email em,phone ph;"
		"purchase_orders:order_date da,total_cost mo,status st;"
		"insurance_plans:plan_name ti,provider ti,coverage_percent ra;"
		"pharmacists:first_name fn,last_name ln,license_number co,hire_date da"},
	{"dental clinic",
		"patients:first_name fn,last_name ln,email em,phone ph,date_of_birth da;"
		"dentists:first_name fn,last_name ln,specialty ca,license_number co;"
		"hygienists:first_name fn,last_name ln,hire_date da;"
		"appointments:appointment_date da,start_time tm,duration_minutes nu,status st;"
		"procedures/dental_procedure:code co,description tx,base_fee mo;"
		"treatment_plans:created_on da,estimated_cost mo,status st;"
		"xrays/xray:taken_on da,xray_type ca,image_url ur;"
		"invoices:invoice_number co,amount mo,issued_on da,is_paid bo;"
		"insurance_claims:claim_number co,amount mo,submitted_on da,status st;"
		"patient_notes:note tx,created_at ts"},
	{"clinical laboratory",
		"patients:first_name fn,last_name ln,date_of_birth da,gender ca;"
		"physicians:full_name pn,email em,clinic_name ti;"
		"test_catalog/test_definition:test_code co,name ti,price mo,turnaround_hours nu;"
		"orders/lab_order:ordered_at ts,priority ca,status st;"
		"samples/sample:barcode co,sample_type ca,collected_at ts,volume_ml sc;"
		"results/lab_result:value sc,unit co,is_abnormal bo,reported_at ts;"
		"instruments:name ti,model ti,serial_number co,last_calibrated da;"
		"technicians:first_name fn,last_name ln,certification co;"
		"reagents:name ti,lot_number co,expiry_date da,quantity qt;"
		"quality_controls:run_date da,passed bo,notes tx"},
	{"research grants",
		"researchers:first_name fn,last_name ln,email em,institution ti,field ca;"
		"funding_agencies/funding_agency:name ti,country cn,website ur;"
		"grant_calls/grant_call:title ti,deadline da,max_amount mo;"
		"proposals:title ti,abstract tx,submitted_on da,requested_amount mo,status st;"
		"reviews/proposal_review:score nu,comments tx,reviewed_on da;"
		"grants/research_grant:award_number co,amount mo,start_date da,end_date da;"
		"publications:title ti,journal ti,published_on da,doi co;"
		"budget_lines:category ca,amount mo,description tx;"
		"progress_reports:report_date da,summary tx,is_approved bo;"
		"lab_equipment:name ti,cost mo,purchased_on da"},
	{"nonprofit",
		"donors:first_name fn,last_name ln,email em,phone ph,city ci;"
		"campaigns/fundraising_campaign:name ti,goal_amount mo,start_date da,end_date da;"
		"donations/donation:amount mo,donated_on da,payment_method ca,is_recurring bo;"
		"volunteers:first_name fn,last_name ln,email em,phone ph,skills tx;"
		"programs/program:name ti,description tx,budget mo,is_active bo;"
		"volunteer_shifts:shift_date da,start_time tm,hours sc;"
		"beneficiaries:full_name pn,city ci,enrolled_on da;"
		"grants/grant_award:funder_name ti,amount mo,awarded_on da;"
		"events/fundraiser:title ti,event_date da,venue ti,tickets_sold nu;"
		"expenses/expense:amount mo,spent_on da,category ca,description tx"},
	{"property management",
		"owners:first_name fn,last_name ln,email em,phone ph;"
		"buildings:name ti,address ad,city ci,year_built yr,floors nu;"
		"units/apartment:unit_number co,bedrooms nu,square_feet nu,monthly_rent mo,is_vacant bo;"
		"tenants:first_name fn,last_name ln,email em,phone ph,move_in_date da;"
		"leases:start_date da,end_date da,rent_amount mo,deposit mo,status st;"
		"rent_payments:amount mo,paid_on da,payment_method ca,is_late bo;"
		"maintenance_requests:description tx,requested_at ts,priority ca,status st;"
		"vendors:name ti,trade ca,phone ph,email em;"
		"inspections:inspection_date da,result ca,notes tx;"
		"utility_bills:utility_type ca,billing_month co,amount mo"},
	{"construction",
		"projects:name ti,site_address ad,start_date da,end_date da,budget mo,status st;"
		"contractors:company_name ti,license_number co,phone ph,email em;"
		"workers:first_name fn,last_name ln,trade ca,hourly_rate mo,phone ph;"
		"equipment/equipment_item:name ti,equipment_type ca,daily_rate mo,is_available bo;"
		"materials:name ti,unit co,unit_cost mo,quantity_in_stock qt;"
		"material_orders:ordered_on da,quantity qt,total_cost mo,status st;"
		"daily_logs:log_date da,weather ca,summary tx,workers_on_site nu;"
		"safety_incidents:incident_date da,severity ca,description tx;"
		"change_orders:description tx,amount mo,approved bo,submitted_on da;"
		"permits:permit_number co,permit_type ca,issued_on da,expires_on da"},
	{"car dealership",
		"customers:first_name fn,last_name ln,email em,phone ph,city ci;"
		"salespeople/salesperson:first_name fn,last_name ln,email em,commission_rate ra;"
		"vehicles:vin co,make ti,model ti,model_year yr,mileage nu,price mo,color ca;"
		"test_drives:scheduled_at ts,duration_minutes nu,feedback tx;"
		"sales/vehicle_sale:sale_date da,sale_price mo,financing bo;"
		"trade_ins:make ti,model ti,model_year yr,appraised_value mo;"
		"financing_offers:lender ti,apr ra,term_months nu,monthly_payment mo;"
		"service_appointments:appointment_date da,service_type ca,cost mo,status st;"
		"parts/part:part_number co,name ti,price mo,stock_qty qt;"
		"warranties/warranty:warranty_type ca,start_date da,end_date da,price mo"},
	{"fleet management",
		"vehicles:plate_number co,make ti,model ti,model_year yr,odometer nu,status st;"
		"drivers:first_name fn,last_name ln,license_number co,phone ph,hire_date da;"
		"trips/trip:started_at ts,ended_at ts,distance_km sc,purpose tx;"
		"fuel_logs:filled_on da,liters sc,cost mo,odometer nu;"
		"maintenance_records:service_date da,service_type ca,cost mo,notes tx;"
		"gps_positions:recorded_at ts,latitude ge,longitude ge,speed_kmh sc;"
		"inspections/vehicle_inspection:inspection_date da,passed bo,inspector_name pn;"
		"fines/traffic_fine:issued_on da,amount mo,violation ca,is_paid bo;"
		"depots/depot:name ti,city ci,capacity nu;"
		"tires/tire:position_code co,installed_on da,tread_depth_mm sc"},
	{"public transit",
		"routes/transit_route:route_number co,name ti,mode ca,is_active bo;"
		"stops/stop:name ti,latitude ge,longitude ge,has_shelter bo;"
		"route_stops/route_stop:stop_sequence nu,minutes_from_start nu;"
		"vehicles/transit_vehicle:fleet_number co,vehicle_type ca,capacity nu,in_service bo;"
		"operators:first_name fn,last_name ln,badge_number co,hire_date da;"
		"trips/scheduled_trip:service_date da,departure_time tm,direction ca;"
		"fare_cards:card_number co,balance mo,issued_on da,is_blocked bo;"
		"card_taps:tapped_at ts,fare_charged mo;"
		"delays/delay:delay_minutes nu,reason tx,reported_at ts;"
		"passenger_feedback:rating nu,comment tx,submitted_at ts"},
	{"ride sharing",
		"riders:first_name fn,last_name ln,email em,phone ph,rating sc;"
		"drivers:first_name fn,last_name ln,phone ph,license_number co,rating sc,is_online bo;"
		"cars/car:plate_number co,make ti,model ti,color ca,seats nu;"
		"rides/ride:requested_at ts,pickup_address ad,dropoff_address ad,distance_km sc,fare mo,status st;"
		"ride_ratings:stars nu,comment tx,rated_at ts;"
		"payments:amount mo,tip mo,paid_at ts,payment_method ca;"
		"promo_codes:code co,discount_amount mo,expires_on da,max_redemptions nu;"
		"driver_payouts:amount mo,paid_on da,status st;"
		"surge_zones:zone_name ti,multiplier ra,active_from ts;"
		"support_requests:subject ti,message tx,created_at ts,status st"},
	{"food delivery",
		"customers:first_name fn,last_name ln,email em,phone ph,address ad;"
		"restaurants:name ti,cuisine ca,city ci,rating sc,is_open bo;"
		"menu_items:name ti,price mo,is_available bo,description tx;"
		"couriers:first_name fn,last_name ln,phone ph,vehicle_type ca,is_active bo;"
		"orders:placed_at ts,subtotal mo,delivery_fee mo,status st;"
		"order_items:quantity qt,unit_price mo,notes tx;"
		"deliveries:picked_up_at ts,delivered_at ts,distance_km sc;"
		"order_ratings:food_rating nu,delivery_rating nu,comment tx;"
		"promotions:code co,discount_percent ra,valid_until da;"
		"payouts/courier_payout:amount mo,paid_on da"},
	{"grocery",
		"stores:name ti,city ci,address ad,phone ph;"
		"departments/aisle:name ti,aisle_number nu;"
		"products:name ti,upc co,price mo,unit co,is_organic bo;"
		"suppliers:name ti,phone ph,email em,city ci;"
		"stock_levels/stock_level:quantity qt,last_counted da,reorder_level nu;"
		"customers:first_name fn,last_name ln,email em,loyalty_number co;"
		"baskets/checkout:checkout_time ts,total mo,payment_type ca;"
		"basket_items:quantity qt,price_paid mo;"
		"deliveries/supplier_delivery:delivery_date da,invoice_number co,total_cost mo;"
		"price_changes:old_price mo,new_price mo,changed_on da"},
	{"fashion retail",
		"designers:name ti,country cn,website ur;"
		"collections/collection:name ti,season ca,launch_date da;"
		"products:name ti,sku co,price mo,material ti,gender ca;"
		"variants/product_variant:size co,color ca,stock_qty qt,barcode co;"
		"customers:first_name fn,last_name ln,email em,phone ph,birth_date da;"
		"orders:order_date ts,total mo,status st,shipping_method ca;"
		"order_lines:quantity qt,unit_price mo;"
		"returns/return_request:requested_on da,reason tx,status st;"
		"stores:name ti,city ci,phone ph;"
		"style_reviews:rating nu,fit_feedback ca,comment tx"},
	{"warehouse management",
		"warehouses:name ti,city ci,total_area_sqm nu;"
		"zones/zone:zone_code co,temperature_controlled bo;"
		"bins/storage_bin:bin_code co,max_weight_kg sc,is_empty bo;"
		"items/stock_item:sku co,name ti,unit_weight_kg sc,unit_cost mo;"
		"stock/stock_record:quantity qt,last_moved ts;"
		"inbound_shipments:expected_on da,received_on da,supplier_name ti,status st;"
		"outbound_orders:order_number co,ship_by da,priority ca,status st;"
		"pick_lists/pick_list:created_at ts,completed_at ts,picker_name pn;"
		"cycle_counts/cycle_count:counted_on da,expected_qty nu,counted_qty nu;"
		"workers:first_name fn,last_name ln,shift ca,hire_date da"},
	{"procurement",
		"suppliers:name ti,contact_name pn,email em,phone ph,country cn,rating sc;"
		"buyers:first_name fn,last_name ln,email em,spending_limit mo;"
		"catalog_items:name ti,item_code co,unit_price mo,unit co;"
		"requisitions/requisition:requested_on da,justification tx,status st;"
		"purchase_orders:po_number co,order_date da,expected_date da,total mo,status st;"
		"po_lines/po_line:quantity qt,unit_price mo,line_total mo;"
		"receipts/goods_receipt:received_on da,quantity_received qt,condition_note tx;"
		"supplier_invoices:invoice_number co,invoice_date da,amount mo,is_paid bo;"
		"contracts/supply_contract:start_date da,end_date da,contract_value mo;"
		"supplier_ratings:quality_score nu,delivery_score nu,rated_on da"},
	{"customer support",
		"customers:first_name fn,last_name ln,email em,phone ph,company ti;"
		"agents/support_agent:first_name fn,last_name ln,email em,team ca,is_available bo;"
		"tickets:subject ti,description tx,channel ca,priority ca,status st,created_at ts;"
		"ticket_messages:body tx,sent_at ts,is_from_customer bo;"
		"satisfaction_surveys:score nu,comment tx,submitted_at ts;"
		"macros/canned_reply:title ti,body tx,usage_count nu;"
		"escalations/escalation:reason tx,escalated_at ts,level nu;"
		"call_logs:started_at ts,duration_seconds nu,outcome ca;"
		"chat_sessions:started_at ts,ended_at ts,message_count nu;"
		"faq_articles:question tx,answer tx,views nu"},
	{"online learning",
		"learners:first_name fn,last_name ln,email em,country cn,signup_date da;"
		"instructors:full_name pn,email em,bio tx,rating sc;"
		"courses:title ti,level ca,price mo,duration_hours nu,published bo;"
		"modules/course_module:title ti,module_order nu,description tx;"
		"lessons/lesson:title ti,video_url ur,duration_minutes nu;"
		"enrollments:enrolled_at ts,progress_percent ra,completed bo;"
		"quizzes/quiz:title ti,pass_score nu,time_limit_minutes nu;"
		"quiz_attempts:score sc,attempted_at ts,passed bo;"
		"certificates:certificate_code co,issued_on da;"
		"course_reviews:rating nu,review_text tx,created_at ts"},
	{"recruiting",
		"companies:name ti,industry ca,city ci,website ur;"
		"recruiters:first_name fn,last_name ln,email em,phone ph;"
		"job_postings:title ti,description tx,salary_min mo,salary_max mo,posted_on da,is_remote bo;"
		"candidates:first_name fn,last_name ln,email em,phone ph,years_experience nu;"
		"applications/job_application:applied_on da,status st,cover_letter tx;"
		"interviews:scheduled_at ts,interview_type ca,interviewer_name pn,rating nu;"
		"offers/job_offer:salary mo,start_date da,status st,expires_on da;"
		"skills/skill:name ti,category ca;"
		"candidate_skills/candidate_skill:proficiency ca,years_used nu;"
		"referrals/referral:referrer_name pn,referred_on da,bonus mo"},
	{"dating app",
		"profiles/dating_profile:display_name pn,birth_date da,gender ca,city ci,bio tx;"
		"photos/photo:url ur,uploaded_at ts,is_primary bo;"
		"preferences/preference:min_age nu,max_age nu,max_distance_km nu;"
		"swipes/swipe:direction ca,swiped_at ts;"
		"matches/dating_match:matched_at ts,is_active bo;"
		"messages:body tx,sent_at ts,is_read bo;"
		"interests/interest:name ti,category ca;"
		"reports/profile_report:reason tx,reported_at ts,status st;"
		"subscriptions:plan_name ti,price mo,started_on da,expires_on da;"
		"dates/planned_date:venue ti,date_on da,rating nu"},
	{"team messaging",
		"workspaces:name ti,domain co,created_at ts,plan ca;"
		"members/workspace_member:display_name pn,email em,title ti,joined_at ts,is_admin bo;"
		"channels/channel:name co,topic ti,is_private bo,created_at ts;"
		"channel_members:joined_at ts,is_muted bo;"
		"messages:body tx,sent_at ts,edited_at ts,reply_count nu;"
		"reactions/reaction:emoji co,created_at ts;"
		"files/shared_file:file_name ti,size_bytes nu,mime_type co,uploaded_at ts;"
		"threads/thread:started_at ts,last_reply_at ts;"
		"integrations/integration:name ti,installed_at ts,is_enabled bo;"
		"mentions/mention:created_at ts,is_read bo"},
	{"museum",
		"artists:first_name fn,last_name ln,birth_year yr,nationality cn;"
		"galleries/gallery:name ti,floor nu,theme ti;"
		"artworks:title ti,creation_year yr,medium ca,estimated_value mo,on_display bo;"
		"exhibitions:title ti,start_date da,end_date da,curator_name pn;"
		"exhibition_items:display_order nu,label_text tx;"
		"visitors:first_name fn,last_name ln,email em,postal_code co;"
		"tickets/museum_ticket:visit_date da,ticket_type ca,price mo;"
		"loans/artwork_loan:lender ti,loan_start da,loan_end da,insurance_value mo;"
		"conservation_records:treated_on da,conservator_name pn,notes tx;"
		"memberships/museum_membership:level ca,start_date da,annual_fee mo"},
	{"parking",
		"parking_lots:name ti,address ad,city ci,total_spaces nu,hourly_rate mo;"
		"spaces/parking_space:space_number co,level_code co,is_accessible bo,is_occupied bo;"
		"customers:first_name fn,last_name ln,email em,phone ph;"
		"vehicles:plate_number co,make ti,color ca;"
		"parking_sessions:entered_at ts,exited_at ts,amount_charged mo;"
		"permits/parking_permit:permit_type ca,valid_from da,valid_until da,price mo;"
		"violations/parking_violation:issued_at ts,violation_type ca,fine_amount mo,is_paid bo;"
		"payments:amount mo,paid_at ts,method ca;"
		"sensors/space_sensor:serial_number co,battery_level ra,last_ping ts;"
		"attendants:first_name fn,last_name ln,shift ca"},
	{"waste management",
		"customers:name ti,address ad,city ci,phone ph,account_type ca;"
		"bins/waste_bin:bin_code co,bin_type ca,capacity_liters nu,installed_on da;"
		"trucks/truck:plate_number co,capacity_tons sc,fuel_type ca,is_active bo;"
		"crews/crew_member:first_name fn,last_name ln,phone ph,hire_date da;"
		"routes/collection_route:route_name ti,collection_day ca,estimated_minutes nu;"
		"pickups/pickup:scheduled_on da,completed_at ts,weight_kg sc,status st;"
		"facilities/disposal_facility:name ti,facility_type ca,city ci;"
		"dump_records:dumped_at ts,tons sc,fee mo;"
		"service_requests:request_type ca,requested_on da,status st,notes tx;"
		"invoices:billing_month co,amount mo,is_paid bo"},
	{"weather monitoring",
		"stations/weather_station:name ti,latitude ge,longitude ge,elevation_m nu,installed_on da;"
		"sensors/sensor:sensor_type ca,model ti,serial_number co,is_active bo;"
		"observations/observation:observed_at ts,temperature_c sc,humidity_percent ra,pressure_hpa sc;"
		"precipitation_logs:log_date da,rainfall_mm sc,snowfall_cm sc;"
		"wind_readings:recorded_at ts,speed_kmh sc,direction_degrees nu;"
		"forecasts/forecast:forecast_date da,high_c sc,low_c sc,summary tx;"
		"alerts/weather_alert:alert_type ca,severity ca,issued_at ts,expires_at ts;"
		"calibrations/calibration:calibrated_on da,technician_name pn,offset_value sc;"
		"regions/forecast_region:name ti,country cn;"
		"daily_summaries:summary_date da,max_temp_c sc,min_temp_c sc,avg_humidity ra"},
	{"iot devices",
		"device_models:name ti,manufacturer ti,firmware_version co;"
		"devices/device:serial_number co,name ti,installed_on da,is_online bo,status st;"
		"sites/site:name ti,address ad,city ci,timezone co;"
		"telemetry/telemetry_point:recorded_at ts,metric ca,value sc;"
		"firmware_updates:version co,released_on da,notes tx,is_mandatory bo;"
		"device_alerts:alert_type ca,raised_at ts,cleared_at ts,severity ca;"
		"commands/device_command:command_name ti,issued_at ts,status st,payload js;"
		"gateways/gateway:hostname co,ip_address co,last_seen ts;"
		"maintenance_tickets:description tx,opened_on da,is_resolved bo;"
		"battery_logs:recorded_at ts,battery_percent ra,voltage sc"},
	{"smart home",
		"homes/home:name ti,address ad,city ci,timezone co;"
		"residents:first_name fn,last_name ln,email em,phone ph,is_owner bo;"
		"rooms/room:name ti,floor nu,area_sqm sc;"
		"devices/smart_device:name ti,device_type ca,brand ti,is_on bo,installed_on da;"
		"automations/automation:name ti,trigger_type ca,is_enabled bo,created_at ts;"
		"scenes/scene:name ti,description tx;"
		"energy_readings:read_at ts,watts sc,kwh_total sc;"
		"thermostat_settings:set_at ts,target_temp_c sc,mode ca;"
		"security_events:event_type ca,occurred_at ts,acknowledged bo;"
		"door_locks/door_lock:lock_name ti,is_locked bo,battery_percent ra"},
	{"cryptocurrency exchange",
		"users/trader:email em,username co,country cn,kyc_verified bo,created_at ts;"
		"assets/crypto_asset:symbol co,name ti,decimals nu,is_tradable bo;"
		"wallets/wallet:address co,balance sc,created_at ts;"
		"markets/market:base_symbol co,quote_symbol co,min_order_size sc,is_active bo;"
		"orders/trade_order:side ca,order_type ca,price mo,quantity sc,status st,placed_at ts;"
		"trades/trade:price mo,quantity sc,fee mo,executed_at ts;"
		"deposits/deposit:amount sc,tx_hash co,confirmed_at ts,status st;"
		"withdrawals/withdrawal:amount sc,destination_address co,requested_at ts,status st;"
		"price_ticks:recorded_at ts,price mo,volume sc;"
		"api_keys:label ti,created_at ts,can_trade bo"},
	{"stock trading",
		"investors:first_name fn,last_name ln,email em,phone ph,risk_profile ca;"
		"brokers:name ti,license_number co,commission_rate ra;"
		"securities/security:ticker co,company_name ti,exchange co,sector ca;"
		"portfolios/portfolio:name ti,created_on da,base_currency co;"
		"holdings/holding:shares nu,average_cost mo,updated_at ts;"
		"orders/stock_order:side ca,order_type ca,quantity qt,limit_price mo,status st,placed_at ts;"
		"executions/execution:executed_at ts,price mo,quantity qt;"
		"dividends/dividend:ex_date da,pay_date da,amount_per_share mo;"
		"daily_prices:trade_date da,open_price mo,close_price mo,volume nu;"
		"watchlists/watchlist:name ti,created_at ts"},
	{"crowdfunding",
		"creators:full_name pn,email em,country cn,joined_on da;"
		"categories/project_category:name ti,description tx;"
		"projects/campaign:title ti,goal_amount mo,deadline da,status st,description tx;"
		"reward_tiers:title ti,pledge_amount mo,quantity_limit nu,estimated_delivery da;"
		"backers:first_name fn,last_name ln,email em,country cn;"
		"pledges/pledge:amount mo,pledged_at ts,is_refunded bo;"
		"project_updates:title ti,body tx,posted_at ts;"
		"project_comments:body tx,created_at ts;"
		"payouts/payout:amount mo,paid_on da,fee mo;"
		"shipping_addresses:address ad,city ci,country cn,postal_code co"},
	{"saas billing",
		"organizations/customer_org:name ti,billing_email em,country cn,created_at ts;"
		"plans/pricing_plan:name ti,monthly_price mo,annual_price mo,seat_limit nu;"
		"subscriptions:started_on da,renews_on da,seats nu,status st;"
		"invoices:invoice_number co,amount_due mo,issued_on da,due_on da,status st;"
		"invoice_lines:description tx,quantity qt,unit_amount mo;"
		"payments:amount mo,paid_at ts,processor ca,status st;"
		"usage_events:event_name ca,quantity sc,occurred_at ts;"
		"coupons:code co,percent_off ra,duration_months nu,expires_on da;"
		"credit_notes:amount mo,reason tx,issued_on da;"
		"payment_methods/payment_method:card_brand ca,last_four co,expiry_month nu,expiry_year yr"},
	{"wedding planning",
		"couples/couple:partner_one pn,partner_two pn,email em,wedding_date da,budget mo;"
		"venues:name ti,city ci,capacity nu,price mo;"
		"vendors:name ti,service_type ca,phone ph,email em,price_estimate mo;"
		"guests:first_name fn,last_name ln,email em,rsvp_status st,plus_one bo;"
		"tables/seating_table:table_name ti,seats nu;"
		"tasks/planning_task:title ti,due_date da,is_done bo;"
		"payments:amount mo,paid_on da,method ca;"
		"menu_choices:dish_name ti,is_vegetarian bo;"
		"gifts/gift:description tx,received_on da,thank_you_sent bo;"
		"timeline_items:start_time tm,activity ti,notes tx"},
	{"pet services",
		"owners:first_name fn,last_name ln,email em,phone ph,city ci;"
		"pets:name ti,species ca,breed ti,birth_date da,is_neutered bo;"
		"groomers:first_name fn,last_name ln,phone ph,rating sc;"
		"services/pet_service:name ti,price mo,duration_minutes nu;"
		"bookings:booking_date da,start_time tm,status st,notes tx;"
		"walkers:first_name fn,last_name ln,phone ph,hourly_rate mo;"
		"walks/walk:walked_at ts,duration_minutes nu,distance_km sc;"
		"kennels/kennel:kennel_code co,size ca,daily_rate mo;"
		"pet_stays:check_in da,check_out da,total mo;"
		"invoices:amount mo,issued_on da,is_paid bo"},
	{"childcare",
		"families/family:primary_contact pn,email em,phone ph,address ad;"
		"children/child:first_name fn,last_name ln,birth_date da,allergies tx;"
		"classrooms/classroom:name ti,age_group ca,capacity nu;"
		"caregivers:first_name fn,last_name ln,phone ph,hire_date da,certified bo;"
		"enrollments:start_date da,end_date da,weekly_fee mo,status st;"
		"attendance/attendance_record:attendance_date da,check_in_time tm,check_out_time tm;"
		"daily_reports:report_date da,meals tx,nap_minutes nu,mood ca;"
		"incidents/incident_report:occurred_at ts,description tx,parent_notified bo;"
		"tuition_payments:amount mo,paid_on da,method ca;"
		"authorized_pickups:full_name pn,phone ph,relationship ca"},
	{"elderly care",
		"residents:first_name fn,last_name ln,birth_date da,room_number co,admitted_on da;"
		"caregivers:first_name fn,last_name ln,phone ph,certification co,hire_date da;"
		"care_plans:created_on da,review_date da,summary tx;"
		"medications/medication:name ti,dosage co,schedule ca;"
		"medication_rounds:given_at ts,was_refused bo,notes tx;"
		"visits/family_visit:visitor_name pn,visit_date da,duration_minutes nu;"
		"activities/care_activity:name ti,activity_date da,start_time tm,location ti;"
		"health_checks:checked_at ts,blood_pressure co,pulse nu,weight_kg sc;"
		"meals/meal:meal_date da,meal_type ca,menu tx;"
		"billing_statements:period_start da,amount mo,is_paid bo"},
	{"cinema",
		"cinemas/cinema:name ti,city ci,address ad,screens nu;"
		"screens/screen:screen_number nu,seat_count nu,is_imax bo;"
		"movies:title ti,release_date da,duration_minutes nu,age_rating co,genre ca;"
		"showtimes/showtime:show_date da,start_time tm,base_price mo;"
		"customers:first_name fn,last_name ln,email em,phone ph;"
		"tickets/cinema_ticket:seat_code co,price mo,purchased_at ts;"
		"concessions/concession_item:name ti,price mo,category ca;"
		"concession_sales:quantity qt,total mo,sold_at ts;"
		"loyalty_cards:card_number co,points nu,issued_on da;"
		"movie_reviews:rating nu,review_text tx,created_at ts"},
	{"theater",
		"productions/production:title ti,playwright pn,opening_date da,closing_date da;"
		"venues:name ti,city ci,seat_count nu;"
		"performances/performance:performance_date da,curtain_time tm,is_sold_out bo;"
		"actors:first_name fn,last_name ln,email em,agent_phone ph;"
		"cast_roles/cast_role:character_name ti,is_lead bo;"
		"rehearsals/rehearsal:rehearsal_date da,start_time tm,notes tx;"
		"patrons:first_name fn,last_name ln,email em,phone ph;"
		"ticket_orders:ordered_at ts,seats nu,total mo,status st;"
		"donations/patron_donation:amount mo,donated_on da,is_anonymous bo;"
		"crew/crew_member:full_name pn,department ca,hourly_rate mo"},
	{"mining",
		"mines/mine:name ti,location ci,mineral ca,opened_year yr;"
		"shafts/shaft:shaft_code co,depth_m nu,is_active bo;"
		"miners:first_name fn,last_name ln,hire_date da,certification co;"
		"shifts/mine_shift:shift_date da,start_time tm,crew_size nu;"
		"extractions/extraction:extracted_on da,tons sc,ore_grade ra;"
		"equipment/mining_equipment:name ti,equipment_type ca,purchase_cost mo,status st;"
		"safety_inspections:inspected_on da,passed bo,findings tx;"
		"incidents/mine_incident:occurred_at ts,severity ca,description tx;"
		"shipments/ore_shipment:shipped_on da,tons sc,buyer ti,price_per_ton mo;"
		"assay_results:sampled_on da,gold_ppm sc,copper_percent ra"},
	{"airport operations",
		"terminals/terminal:name co,gate_count nu,opened_year yr;"
		"gates/gate:gate_code co,is_international bo,status st;"
		"airlines/airline:name ti,iata_code co,country cn;"
		"flights:flight_number co,scheduled_time ts,actual_time ts,flight_type ca,status st;"
		"gate_assignments:assigned_from ts,assigned_until ts;"
		"baggage_claims:carousel nu,opened_at ts;"
		"security_checkpoints:name ti,lanes nu,is_open bo;"
		"staff/airport_staff:first_name fn,last_name ln,badge_number co,department ca;"
		"lost_items:description tx,found_at ts,is_claimed bo;"
		"parking_bookings:arrival_date da,departure_date da,price mo"},
	{"hospital pharmacy",
		"wards/ward:name ti,floor nu,bed_count nu;"
		"nurses:first_name fn,last_name ln,license_number co,shift ca;"
		"drugs/formulary_drug:name ti,drug_class ca,unit_cost mo,is_controlled bo;"
		"patients:first_name fn,last_name ln,birth_date da,bed_number co;"
		"medication_orders:ordered_at ts,dose co,route ca,frequency ca,status st;"
		"administrations/administration:given_at ts,dose_given co,was_missed bo;"
		"drug_stock:quantity qt,lot_number co,expiry_date da;"
		"dispensing_cabinets:cabinet_code co,location ti;"
		"allergies/allergy:allergen ti,reaction tx,severity ca;"
		"adverse_events:reported_at ts,description tx,severity ca"},
	{"tourism attractions",
		"attractions/attraction:name ti,city ci,category ca,opening_time tm,closing_time tm;"
		"visitors:first_name fn,last_name ln,email em,country cn;"
		"ticket_types:name ti,price mo,age_min nu;"
		"visits/attraction_visit:visit_date da,group_size nu,total_paid mo;"
		"guides/tour_guide:full_name pn,languages tx,rating sc;"
		"guided_tours:tour_date da,start_time tm,capacity nu;"
		"tour_bookings:booked_at ts,participants nu,status st;"
		"souvenirs/souvenir:name ti,price mo,stock_qty qt;"
		"souvenir_sales:quantity qt,sold_at ts,total mo;"
		"visitor_reviews:rating nu,comment tx,posted_on da"},
	{"auction house",
		"sellers:first_name fn,last_name ln,email em,phone ph;"
		"bidders:first_name fn,last_name ln,email em,paddle_number co,credit_limit mo;"
		"auctions/auction:title ti,auction_date da,location ci,status st;"
		"lots/lot:lot_number co,title ti,estimate_low mo,estimate_high mo,reserve_price mo;"
		"bids/bid:amount mo,placed_at ts,is_winning bo;"
		"sales/lot_sale:hammer_price mo,buyer_premium mo,sold_at ts;"
		"appraisals/appraisal:appraised_value mo,appraised_on da,appraiser_name pn;"
		"consignments/consignment:received_on da,commission_rate ra;"
		"shipments/lot_shipment:shipped_on da,carrier ti,tracking_number co;"
		"payments:amount mo,paid_on da,method ca"},
	{"car wash",
		"locations/wash_location:name ti,address ad,city ci,bays nu;"
		"customers:first_name fn,last_name ln,phone ph,email em;"
		"vehicles:plate_number co,make ti,color ca;"
		"wash_packages:name ti,price mo,duration_minutes nu,includes_wax bo;"
		"washes/wash:washed_at ts,total mo,rating nu;"
		"memberships/wash_membership:start_date da,monthly_fee mo,is_active bo;"
		"employees:first_name fn,last_name ln,hourly_rate mo,hire_date da;"
		"supplies/supply:name ti,unit co,quantity qt,reorder_level nu;"
		"equipment_repairs:repaired_on da,cost mo,description tx;"
		"gift_cards:code co,balance mo,issued_on da"},
	{"craft brewery",
		"beers/beer:name ti,style ca,abv ra,ibu nu,is_seasonal bo;"
		"ingredients/brewing_ingredient:name ti,ingredient_type ca,unit_cost mo,stock_kg sc;"
		"batches/batch:batch_code co,brew_date da,volume_liters sc,status st;"
		"fermentation_logs:logged_at ts,gravity sc,temperature_c sc;"
		"kegs/keg:keg_code co,size_liters nu,is_filled bo;"
		"customers/bar_customer:name ti,city ci,phone ph,email em;"
		"orders/keg_order:order_date da,total mo,status st;"
		"order_lines:quantity qt,price mo;"
		"taproom_sales:sold_at ts,pints nu,revenue mo;"
		"tastings/tasting_note:taster_name pn,score nu,notes tx"},
	{"vineyard",
		"vineyards/vineyard:name ti,region ca,hectares sc,owner_name pn;"
		"blocks/vine_block:block_code co,grape_variety ti,planted_year yr;"
		"harvests/grape_harvest:harvest_date da,tons sc,brix sc;"
		"wines/wine:name ti,vintage yr,varietal ca,price mo;"
		"barrels/barrel:barrel_code co,oak_type ca,capacity_liters nu,filled_on da;"
		"bottlings/bottling:bottled_on da,bottle_count nu,lot_code co;"
		"customers:first_name fn,last_name ln,email em,phone ph;"
		"wine_club_members:joined_on da,tier ca,is_active bo;"
		"orders/wine_order:ordered_at ts,total mo,status st;"
		"tasting_room_visits:visit_date da,guests nu,spend mo"},
	{"bakery",
		"products/baked_good:name ti,price mo,category ca,is_gluten_free bo;"
		"ingredients:name ti,unit co,cost_per_unit mo,stock_qty sc;"
		"recipes/recipe:name ti,yield_units nu,prep_minutes nu,instructions tx;"
		"recipe_ingredients:amount sc;"
		"bakers:first_name fn,last_name ln,hire_date da,shift ca;"
		"production_runs:run_date da,units_made nu,waste_units nu;"
		"customers:first_name fn,last_name ln,phone ph,email em;"
		"orders/bakery_order:pickup_date da,total mo,status st,notes tx;"
		"order_items:quantity qt,unit_price mo;"
		"daily_sales:sale_date da,revenue mo,transactions nu"},
	{"coworking space",
		"locations/cowork_location:name ti,city ci,address ad,desk_count nu;"
		"members:first_name fn,last_name ln,email em,company ti,joined_on da;"
		"plans/membership_plan:name ti,monthly_price mo,hours_included nu;"
		"memberships:start_date da,end_date da,status st;"
		"desks/desk:desk_code co,is_dedicated bo,has_monitor bo;"
		"meeting_rooms:name ti,capacity nu,hourly_rate mo;"
		"room_bookings:booking_date da,start_time tm,end_time tm,status st;"
		"check_ins/check_in:checked_in_at ts,checked_out_at ts;"
		"invoices:amount mo,issued_on da,due_on da,is_paid bo;"
		"community_events:title ti,event_date da,attendee_limit nu"},
	{"print shop",
		"customers:name ti,email em,phone ph,company ti;"
		"products/print_product:name ti,base_price mo,paper_type ca;"
		"orders/print_order:ordered_at ts,due_date da,status st,total mo;"
		"order_items:quantity qt,width_mm nu,height_mm nu,color_mode ca;"
		"artwork_files:file_name ti,file_url ur,uploaded_at ts,is_approved bo;"
		"printers/print_machine:name ti,model ti,is_operational bo;"
		"print_jobs:started_at ts,finished_at ts,sheets_used nu;"
		"paper_stock:paper_type ca,sheets_on_hand qt,reorder_level nu;"
		"deliveries:delivered_on da,address ad,courier ti;"
		"quotes/price_quote:amount mo,valid_until da,status st"},
	{"laundry service",
		"customers:first_name fn,last_name ln,phone ph,email em,address ad;"
		"stores/laundry_store:name ti,city ci,phone ph;"
		"service_types:name ti,price_per_kg mo,turnaround_hours nu;"
		"orders/laundry_order:dropped_off_at ts,ready_by ts,weight_kg sc,status st,total mo;"
		"order_items:item_type ca,quantity qt,special_care tx;"
		"machines/washing_machine:machine_code co,capacity_kg nu,is_working bo;"
		"machine_cycles:started_at ts,cycle_minutes nu,temperature_c nu;"
		"pickups/pickup_request:scheduled_for ts,address ad,status st;"
		"payments:amount mo,paid_at ts,method ca;"
		"employees:first_name fn,last_name ln,hourly_rate mo,hire_date da"},
	{"ski resort",
		"lifts/lift:name ti,lift_type ca,capacity_per_hour nu,is_open bo;"
		"slopes/slope:name ti,difficulty ca,length_m nu,is_groomed bo;"
		"guests:first_name fn,last_name ln,email em,phone ph,birth_date da;"
		"lift_passes:pass_type ca,valid_from da,valid_until da,price mo;"
		"lift_scans:scanned_at ts,is_valid bo;"
		"rentals/equipment_rental:rented_on da,return_due da,total mo,status st;"
		"instructors:first_name fn,last_name ln,level ca,hourly_rate mo;"
		"lessons/ski_lesson:lesson_date da,start_time tm,group_size nu,price mo;"
		"snow_reports:report_date da,base_depth_cm nu,new_snow_cm nu;"
		"incidents/ski_incident:occurred_at ts,severity ca,description tx"}
};

/* The parsed vocabulary, built once. */
static GenVocab vocab;
static pthread_once_t vocab_once = PTHREAD_ONCE_INIT;

/* Copies [s, s+n) into a fresh malloc'd string (the vocabulary lives as long as the process). */
static char *
vocab_str(const char *s, size_t n)
{
	char	   *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Looks up a two-letter kind code; -1 when unknown. */
static int
kind_from_code(const char *s)
{
	for (int k = 0; k < DATAGEN_N_COL_KINDS; k++)
		if (s[0] == kind_codes[k][0] && s[1] == kind_codes[k][1])
			return k;
	return -1;
}

/* Derives an English singular from a plural table name. */
static char *
singular_name(const char *plural, size_t n)
{
	char	   *p;

	if (n > 3 && strncmp(plural + n - 3, "ies", 3) == 0)
	{
		p = vocab_str(plural, n - 2);
		if (p)
		{
			p[n - 3] = 'y';
			p[n - 2] = '\0';
		}
		return p;
	}
	if (n > 4 && (strncmp(plural + n - 4, "ches", 4) == 0 || strncmp(plural + n - 4, "shes", 4) == 0 ||
				  strncmp(plural + n - 4, "sses", 4) == 0 || strncmp(plural + n - 3, "xes", 3) == 0))
		return vocab_str(plural, n - 2);
	if (n > 1 && plural[n - 1] == 's' && plural[n - 2] != 's')
		return vocab_str(plural, n - 1);
	return vocab_str(plural, n);
}

/* Parses one topic's entity notation into vocab. */
static void
parse_topic(GenTopic *t, const GenTopicDef *def)
{
	const char *p = def->entities;

	t->name = def->name;
	t->n_entities = 0;
	while (*p && t->n_entities < GEN_MAX_ENTITIES)
	{
		GenEntity  *e = &t->entities[t->n_entities];
		const char *colon = strchr(p, ':');
		const char *end = strchr(p, ';');
		const char *slash;

		if (!end)
			end = p + strlen(p);
		slash = memchr(p, '/', (size_t) (colon - p));
		e->plural = vocab_str(p, (size_t) ((slash ? slash : colon) - p));
		e->singular = slash ? vocab_str(slash + 1, (size_t) (colon - slash - 1))
			: singular_name(p, (size_t) (colon - p));
		e->n_attrs = 0;
		p = colon + 1;
		while (p < end && e->n_attrs < GEN_MAX_ATTRS)
		{
			const char *sp = strchr(p, ' ');
			int			kind = kind_from_code(sp + 1);

			e->attrs[e->n_attrs].name = vocab_str(p, (size_t) (sp - p));
			e->attrs[e->n_attrs].kind = (unsigned char) (kind < 0 ? DATAGEN_COL_TEXT : kind);
			e->n_attrs++;
			p = sp + 3;
			if (*p == ',')
				p++;
		}
		p = *end ? end + 1 : end;
		t->n_entities++;
	}
}

/* Builds the parsed vocabulary and the use-case names. */
static void
vocab_init(void)
{
	vocab.n_topics = (int) (sizeof(topic_defs) / sizeof(topic_defs[0]));
	for (int i = 0; i < vocab.n_topics; i++)
	{
		GenTopic   *t = &vocab.topics[i];

		parse_topic(t, &topic_defs[i]);
		t->n_use_cases = t->n_entities * GEN_N_ACTIVITIES;
		t->use_case_names = calloc((size_t) t->n_use_cases, sizeof(char *));
		for (int u = 0; t->use_case_names && u < t->n_use_cases; u++)
		{
			const GenEntity *e = &t->entities[u / GEN_N_ACTIVITIES];
			char		buf[160];
			int			n;

			/* "order_items" + "tracking" -> "order item tracking" */
			n = snprintf(buf, sizeof(buf), "%s %s", e->singular, activities[u % GEN_N_ACTIVITIES]);
			for (int k = 0; k < n; k++)
				if (buf[k] == '_')
					buf[k] = ' ';
			t->use_case_names[u] = vocab_str(buf, (size_t) n);
		}
	}
}

/* The vocabulary (built on first use; thread-safe). */
const GenVocab *
gen_vocab(void)
{
	pthread_once(&vocab_once, vocab_init);
	return &vocab;
}

/* Name of an activity. */
const char *
gen_activity_name(int activity)
{
	return activities[activity];
}
